using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Diagnostics;

namespace XformerDsl.Generator.Families
{
    /// <summary>The diagnostics only the generator reports for the pattern families; their IDs lie in the pattern rules' block.</summary>
    internal static class PatternDiagnostics
    {
        /// <summary>XF0039: a block layout too large or too slow to compute and write out at compile time.</summary>
        public static readonly DiagnosticDescriptor LayoutTooLarge = DescriptorFactory.Create(
            "XF0039", "The block layout is too large to generate",
            "[{0}] at MaxLength = {1} {2}, more than {3} (the layout becomes constant arrays, each pair of tiles checked key by key at compile time); use a smaller MaxLength or a narrower pattern, or [FullAttention] if each query sees most of the sequence",
            DescriptorFactory.Specification);
    }
}
