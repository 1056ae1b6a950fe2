using XformerDsl.Generator.Emit.Frame;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// Forwarders kept while callers outside the frame emitters (AttentionLayerEmitter) move to
    /// <see cref="LayerFactories"/>, which now holds these; remove this class once nothing calls it.
    /// </summary>
    internal static class ModuleEmitter
    {
        /// <inheritdoc cref="LayerFactories.InitStd"/>
        internal const double InitStd = LayerFactories.InitStd;

        /// <inheritdoc cref="LayerFactories.LinearCreate"/>
        internal static string LinearCreate(ModelSpec spec, long inputs, long outputs) => LayerFactories.LinearCreate(spec, inputs, outputs);

        /// <inheritdoc cref="LayerFactories.EmitLinearInit"/>
        internal static void EmitLinearInit(SourceWriter writer, ModelSpec spec, string field, double std) => LayerFactories.EmitLinearInit(writer, spec, field, std);

        /// <inheritdoc cref="LayerFactories.ResidualStd"/>
        internal static double ResidualStd(ModelSpec spec) => LayerFactories.ResidualStd(spec);
    }
}
