using XformerDsl.Specs;

namespace XformerDsl.Generator.Model
{
    /// <summary>
    /// Everything the emitters need for one valid declaration: where the class lives, what it declares, and the
    /// declaration's attributes as written (restated in the header). Pure data with value equality.
    /// </summary>
    /// <param name="Type">The partial class to complete.</param>
    /// <param name="Spec">The architecture, every default resolved, already validated.</param>
    /// <param name="DeclarationAsWritten">The XformerDsl attributes as the user wrote them, then the class line.</param>
    /// <param name="ConvertsFrom">The model <c>[ConvertsFrom]</c> names, already checked compatible; null without one.</param>
    internal sealed record ModelToGenerate(TypeShape Type, ModelSpec Spec, ImmutableEquatableArray<string> DeclarationAsWritten,
        ConversionSource? ConvertsFrom = null);
}
