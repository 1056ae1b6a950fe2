using XformerDsl.Generator.Model;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// The static <c>ConvertFrom</c> of a model declared with <c>[ConvertsFrom(typeof(Source))]</c>: a new model holding
    /// every weight the trained source shares with it, built on <c>WeightTransfer.CopyShared</c>. The parser has
    /// already checked at compile time that the frames agree, so the copy cannot meet a mismatched shape.
    /// </summary>
    internal static class ConversionEmitter
    {
        public static void Emit(SourceWriter writer, string target, ConversionSource source)
        {
            writer.WriteLine("/// <summary>");
            writer.WriteLine($"/// Builds a {target} from a trained <see cref=\"{source.FullyQualifiedName}\"/> (swap-then-finetune, T2R): every weight the");
            writer.WriteLine("/// two models share (embeddings, projections, feed-forward, norms) is copied; the weights only this model has keep");
            writer.WriteLine("/// their initialisation and are named in <paramref name=\"newParameters\"/>. Finetune the result. The new model is");
            writer.WriteLine("/// on the CPU in float32 and in training mode; the source is left unchanged.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine("/// <param name=\"source\">The trained model to convert.</param>");
            writer.WriteLine("/// <param name=\"newParameters\">State-dict names of the weights the source does not have (for T2R, each layer's feature map).</param>");
            writer.WriteLine($"public static {target} ConvertFrom({source.FullyQualifiedName} source, out global::System.Collections.Generic.IReadOnlyList<string> newParameters)");
            writer.OpenBlock();
            writer.WriteLine("global::System.ArgumentNullException.ThrowIfNull(source);");
            writer.WriteLine($"var model = new {target}();");
            writer.WriteLine("newParameters = global::XformerDsl.Modules.WeightTransfer.CopyShared(source, model).New;");
            writer.WriteLine("return model;");
            writer.CloseBlock();
        }
    }
}
