using System.Collections.Generic;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Attention
{
    /// <summary>
    /// What one attention family contributes to its generated attention class. <see cref="AttentionLayerEmitter"/>
    /// writes the frame every family shares: the class, the head constants, the input projections split into heads,
    /// rotary positions, merging the heads, the output projection and dropout. The family writes the rest: its extra
    /// parameters, the step that turns the split projections into <c>attended</c>, and its fused kernel.
    /// Register an implementation in <see cref="AttentionFamilies"/>.
    /// </summary>
    internal abstract class AttentionEmitter
    {
        private static readonly IReadOnlyList<string> s_queryKeyValue = new[] { "q_proj", "k_proj", "v_proj" };
        private static readonly IReadOnlyList<string> s_queryKey = new[] { "q", "k" };

        /// <summary>
        /// The input projections, each a Dim → Dim Linear whose output is split into heads as a local named after it
        /// without <c>_proj</c> (<c>q_proj</c> → <c>q</c>, <c>[batch, heads, seq, headDim]</c>). Queries, keys and values
        /// by default; a family with shared query-key projections (Reformer) names its own.
        /// </summary>
        public virtual IReadOnlyList<string> InputProjections => s_queryKeyValue;

        /// <summary>The split projections rotary positions rotate (queries and keys by default).</summary>
        public virtual IReadOnlyList<string> RotatedProjections => s_queryKey;

        /// <summary>Whether the family has trainable parameters of its own beside the projections (the constructor's summary says so).</summary>
        public virtual bool HasOwnParameters => true;

        /// <summary>Declares the family's own parameters and buffers, beside the projections.</summary>
        public virtual void EmitFields(SourceWriter writer, ModelSpec spec, AttentionSpec attention) { }

        /// <summary>Creates them, in the class's constructor before <c>RegisterComponents()</c>.</summary>
        public virtual void EmitConstruction(SourceWriter writer, ModelSpec spec, AttentionSpec attention) { }

        /// <summary>Initialises them, in <c>InitializeWeights</c>.</summary>
        public virtual void EmitInitialization(SourceWriter writer, ModelSpec spec, AttentionSpec attention) { }

        /// <summary>
        /// Declares <c>attended</c>, <c>[batch, heads, seq, headDim]</c>, from the split projections, <c>keyPaddingMask</c>
        /// (null, or bool <c>[batch, seq]</c>) and the constants <c>Heads</c> and <c>HeadDim</c>.
        /// </summary>
        public abstract void EmitAttend(SourceWriter writer, ModelSpec spec, AttentionSpec attention);

        /// <summary>
        /// True when the declaration can attend one new token per sequence from a state of fixed size, so a model whose
        /// layers all can gets the recurrent stepping API (<c>CreateState</c>, <c>Step</c>). False by default.
        /// </summary>
        public virtual bool IsRecurrent(ModelSpec spec, AttentionSpec attention) => false;

        /// <summary>
        /// For a recurrent declaration: declares <c>attended</c>, <c>[batch, heads, 1, headDim]</c>, from the new token's
        /// split projections, <c>state</c> (the model's <c>RecurrentState</c>) and <c>layer</c> (this layer's number).
        /// </summary>
        public virtual void EmitStepAttend(SourceWriter writer, ModelSpec spec, AttentionSpec attention) =>
            throw new System.InvalidOperationException(attention.AttributeName + " has no recurrent form.");

        /// <summary>Nested types of the attention class, such as the family's fused <c>Kernel</c>.</summary>
        /// <param name="writer">Where they go.</param>
        /// <param name="spec">The model.</param>
        /// <param name="attention">The declaration.</param>
        /// <param name="owner">Who the types belong to in messages: the model, or the model and its layer class.</param>
        public virtual void EmitNestedTypes(SourceWriter writer, ModelSpec spec, AttentionSpec attention, string owner) { }
    }
}
