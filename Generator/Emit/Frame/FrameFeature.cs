using System.Collections.Generic;
using System.Linq;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// Something that changes the model's frame rather than one attention layer: the model's members and inputs, the
    /// block's sublayers, how the stack of blocks runs, the feed-forward network's forward. A feature overrides only
    /// the hooks it needs; the frame emitters (<see cref="ModelModuleEmitter"/>, <see cref="BlockEmitter"/>,
    /// <see cref="FeedForwardEmitter"/>) call the hooks of every feature in <see cref="FrameFeatures.All"/> that
    /// <see cref="AppliesTo"/> the spec, in that order. A new feature is a subclass here and one line in that list.
    /// Each hook exists because a current feature (reversible blocks, chunked feed-forward) or a named coming one
    /// (cross-attention, segment memory) needs it; its summary says which. Hooks emit into the one
    /// <see cref="SourceWriter"/>, at the indentation of the place they are called from.
    /// </summary>
    internal abstract class FrameFeature
    {
        /// <summary>True when the model of <paramref name="spec"/> has this feature; the hooks are called only then.</summary>
        public abstract bool AppliesTo(ModelSpec spec);

        // ---- The model class ----

        /// <summary>Interfaces the model implements besides its base and stepping ones. Segment memory: <c>ISegmentRecurrentModel</c>.</summary>
        public virtual IEnumerable<string> Interfaces(ModelSpec spec) => Enumerable.Empty<string>();

        /// <summary>
        /// Submodule fields of the model, after the standard ones. Segment memory: a Compressive Transformer's
        /// compression of each layer and the slot of its reconstruction loss.
        /// </summary>
        public virtual void EmitFields(SourceWriter writer, ModelSpec spec)
        {
        }

        /// <summary>Statements of the model's constructor that create those fields, before <c>RegisterComponents()</c>.</summary>
        public virtual void EmitConstruction(SourceWriter writer, ModelSpec spec)
        {
        }

        /// <summary>Statements of the model's <c>InitializeWeights</c> for those fields, at its end.</summary>
        public virtual void EmitInitialization(SourceWriter writer, ModelSpec spec)
        {
        }

        /// <summary>
        /// Members of the model before <c>forward</c>, each followed by a blank line. Reversible blocks: the
        /// <c>ReconstructInBackward</c> switch. Segment memory: <c>CreateMemory</c>, the empty memory of a first segment.
        /// </summary>
        public virtual void EmitMembers(SourceWriter writer, ModelSpec spec)
        {
        }

        /// <summary>
        /// Parameters of the model's full <c>forward</c> after <c>keyPaddingMask</c>. The one-argument <c>forward</c>
        /// passes <c>null</c> for each, so each is nullable, null meaning none. The plain loop of blocks passes the blocks'
        /// <see cref="BlockParameters"/> by name, so a block parameter named like a forward parameter receives it. Segment
        /// memory: <c>memory</c>, the previous segments', updated in place.
        /// </summary>
        public virtual IEnumerable<FrameParameter> ForwardParameters(ModelSpec spec) => Enumerable.Empty<FrameParameter>();

        /// <summary>
        /// True when this feature runs the stack of blocks (<see cref="EmitStack"/>) in place of the plain loop
        /// <c>foreach (var layer in layers) x = layer.forward(x, …);</c>. At most one feature of a model may (a spec rule
        /// must refuse the combination; <see cref="FrameFeatures"/> checks it too). Reversible blocks: two streams
        /// through <c>ReversibleLayers.Apply</c>. Segment memory: a loop that hands each layer its memory and keeps its
        /// input for the next segment.
        /// </summary>
        public virtual bool RunsTheStack => false;

        /// <summary>
        /// When <see cref="RunsTheStack"/>: the statements that take the embedded residual stream <c>x</c> through every
        /// block and leave the result in <c>x</c>. <paramref name="blockArguments"/> is what the plain loop passes each
        /// block after <c>x</c> (<c>keyPaddingMask, rotary</c>, …).
        /// </summary>
        public virtual void EmitStack(SourceWriter writer, ModelSpec spec, string blockArguments)
        {
        }

        /// <summary>
        /// When <see cref="RunsTheStack"/> and the model steps: the statements of the model's <c>Step</c> that take the
        /// embedded new token <c>x</c> (<c>[batch, 1, Dim]</c>) through every block's <c>Step</c> (written by
        /// <see cref="EmitBlockStep"/>) and leave the result in <c>x</c>. Reversible blocks: the two streams.
        /// </summary>
        public virtual void EmitStepStack(SourceWriter writer, ModelSpec spec)
        {
        }

        /// <summary>
        /// When <see cref="RunsTheStack"/> and the model steps: the block's <c>Step</c> that <see cref="EmitStepStack"/>
        /// calls, after a blank line; <paramref name="attention"/> is the expression of the block's recurrent attention.
        /// </summary>
        public virtual void EmitBlockStep(SourceWriter writer, ModelSpec spec, string attention)
        {
        }

        /// <summary>
        /// True when the model with this feature gets no recurrent stepping API (<see cref="RecurrentEmitter"/>), whose
        /// block step carries one stream and no extra inputs unless the feature runs the stack's step itself
        /// (<see cref="EmitStepStack"/>, as reversible blocks do).
        /// </summary>
        public virtual bool DisablesStepping => false;

        /// <summary>
        /// Nested types of the model after <c>FeedForwardNetwork</c>, each preceded by a blank line. Coming:
        /// cross-attention (the <c>CrossAttention</c> module, queries from the stream, keys and values from the memory).
        /// </summary>
        public virtual void EmitNestedTypes(SourceWriter writer, ModelSpec spec)
        {
        }

        // ---- The block ----

        /// <summary>
        /// Parameters of <c>Block.forward</c> after <c>keyPaddingMask</c> (and <c>rotary</c>). Segment memory: the layer's
        /// memory, for its attention. Coming: cross-attention (<c>memory</c> and its padding mask, for the cross-attention
        /// sublayer).
        /// </summary>
        public virtual IEnumerable<FrameParameter> BlockParameters(ModelSpec spec) => Enumerable.Empty<FrameParameter>();

        /// <summary>
        /// Adds sublayers to the block's ordered list (attention, feed-forward), or replaces one with more arguments.
        /// Segment memory: the attention sublayer also given the layer's memory. Coming: cross-attention (a sublayer between
        /// attention and feed-forward).
        /// </summary>
        public virtual void ArrangeSublayers(ModelSpec spec, IList<Sublayer> sublayers)
        {
        }

        /// <summary>
        /// Members of <c>Block</c> after its <c>forward</c>, each preceded by a blank line. <paramref name="parameters"/>
        /// and <paramref name="arguments"/> are the block's forward parameters after <c>x</c>, declared and passed on.
        /// Reversible blocks: <c>Reversible(…)</c>, the block's two sublayers as the residual functions of a reversible layer.
        /// </summary>
        public virtual void EmitBlockMembers(SourceWriter writer, ModelSpec spec, IReadOnlyList<Sublayer> sublayers, string parameters, string arguments)
        {
        }

        // ---- The feed-forward network ----

        /// <summary>
        /// True when this feature writes <c>FeedForwardNetwork.forward</c> (<see cref="EmitFeedForwardForward"/>) around
        /// the network's computation, which then becomes a private method. At most one feature of a model may, as with <see cref="RunsTheStack"/>.
        /// Chunked feed-forward (pieces of the sequence, recomputed in the backward pass); no coming feature yet.
        /// </summary>
        public virtual bool RunsTheFeedForward => false;

        /// <summary>
        /// When <see cref="RunsTheFeedForward"/>: the public <c>forward(x)</c>, which calls the private method
        /// <paramref name="compute"/> holding the computation, then a blank line and the comment that introduces that method.
        /// </summary>
        public virtual void EmitFeedForwardForward(SourceWriter writer, ModelSpec spec, string compute)
        {
        }
    }
}
