using XformerDsl.Specs;

namespace XformerDsl.Generator.Model
{
    /// <summary>What the parser makes of one <c>[Transformer]</c> declaration: a model (when it is valid) and diagnostics.</summary>
    internal sealed record ParseResult(ModelToGenerate? Model, ImmutableEquatableArray<DiagnosticInfo> Diagnostics)
    {
        public static ParseResult Nothing { get; } = new ParseResult(null, ImmutableEquatableArray<DiagnosticInfo>.Empty);
    }
}
