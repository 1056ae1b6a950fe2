using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// The attention of a model: a closed family of records, one per attention attribute (only this assembly can add
    /// members). Each family states what the shared rules and the model card need to know about it; family-specific
    /// settings live on the derived record.
    /// </summary>
    public abstract record AttentionSpec
    {
        private protected AttentionSpec(int heads) => Heads = heads;

        /// <summary>Number of heads; every family splits Dim into Heads heads of Dim / Heads dimensions.</summary>
        public int Heads { get; init; }

        /// <summary>The attribute that declares this family, without the <c>Attribute</c> suffix (e.g. <c>FullAttention</c>).</summary>
        public abstract string AttributeName { get; }

        /// <summary>A one-line description of the family's cost in the sequence length L, for the model card.</summary>
        public abstract string Complexity { get; }

        /// <summary>
        /// Trainable parameters of one layer's attention: by default the Q, K, V and output projections, four
        /// Dim × Dim matrices (with biases when declared). Families with other projections override it.
        /// </summary>
        public virtual long ParametersPerLayer(int dim, bool bias) => 4L * dim * dim + (bias ? 4L * dim : 0);

        /// <summary>
        /// Trainable parameters of layer <paramref name="layer"/>'s attention in <paramref name="model"/>: by default
        /// <see cref="ParametersPerLayer"/>. A family whose layers differ (Lite Transformer's kernel size per layer) overrides it.
        /// </summary>
        public virtual long ParametersOfLayer(ModelSpec model, int layer) => ParametersPerLayer(model.Dim, model.Bias);

        /// <summary>
        /// The channels the heads share, Heads × head size: by default all of Dim. A family that gives attention only part
        /// of the width (Lite Transformer's attention branch) overrides it; Heads must then divide its width instead of Dim.
        /// </summary>
        public virtual int Width(int dim) => dim;

        /// <summary>
        /// Multiply-accumulates per token of layer <paramref name="layer"/>'s attention over a sequence of
        /// <paramref name="length"/> tokens: by default its projections and its mixing. Families whose layers differ override it.
        /// </summary>
        public virtual long MacsPerTokenOfLayer(ModelSpec model, int layer, int length) =>
            ProjectionMacsPerToken(model.Dim) + MixingMacsPerToken(model.Dim, length, model.Causal);

        /// <summary>
        /// The family's own rules for declaration <paramref name="index"/> of <paramref name="model"/> (a window longer
        /// than MaxLength, a pattern the causal mode cannot use, …), beyond the rules every family shares (Heads in
        /// range and dividing Dim, layer selectors). Give each problem <c>AttentionIndex = index</c> so the generator
        /// reports it at this declaration's argument. Shared rules run first; none of this family's rules need to
        /// repeat them.
        /// </summary>
        public virtual IEnumerable<SpecProblem> Problems(ModelSpec model, int index) => Enumerable.Empty<SpecProblem>();

        /// <summary>Multiply-accumulates per token of one layer's projections: by default Q, K, V and output, 4·Dim².</summary>
        public virtual long ProjectionMacsPerToken(int dim) => 4L * dim * dim;

        /// <summary>
        /// Multiply-accumulates per token in one layer for mixing tokens: computing attention scores and applying them
        /// to the values, excluding the Q/K/V/output projections. Averaged over the positions of a sequence of
        /// <paramref name="length"/> tokens.
        /// </summary>
        public abstract long MixingMacsPerToken(int dim, int length, bool causal);
    }
}
