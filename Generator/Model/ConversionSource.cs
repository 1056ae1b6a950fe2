using XformerDsl.Specs;

namespace XformerDsl.Generator.Model
{
    /// <summary>The source of a <c>[ConvertsFrom]</c> conversion.</summary>
    /// <param name="FullyQualifiedName">With <c>global::</c>, as emitted code names it.</param>
    /// <param name="Name">The class name, for documentation.</param>
    internal sealed record ConversionSource(string FullyQualifiedName, string Name);
}
