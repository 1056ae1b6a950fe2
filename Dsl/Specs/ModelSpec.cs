using System;
using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>
    /// A whole transformer architecture as data: what a <c>[Transformer]</c> declaration means once every default is
    /// resolved. The generator builds one from the attributes and emits it as the model's static <c>Spec</c>; code can
    /// also build one at run time and check it with <see cref="Validate"/>, which applies the same rules the generator
    /// reports as compile-time diagnostics.
    /// </summary>
    /// <param name="Name">The model's name (the generated class name), used in the model card and messages.</param>
    /// <param name="Vocab">Vocabulary size; token ids are 0..Vocab−1. See <see cref="TransformerAttribute.Vocab"/>.</param>
    /// <param name="Dim">Model width. See <see cref="TransformerAttribute.Dim"/>.</param>
    /// <param name="Depth">Number of blocks. See <see cref="TransformerAttribute.Depth"/>.</param>
    /// <param name="MaxLength">Longest accepted sequence. See <see cref="TransformerAttribute.MaxLength"/>.</param>
    /// <param name="Causal">Causal decoder (true) or bidirectional encoder (false). See <see cref="TransformerAttribute.Causal"/>.</param>
    /// <param name="Bias">Biases in every Linear and LayerNorm. See <see cref="TransformerAttribute.Bias"/>.</param>
    /// <param name="TiedEmbeddings">Output head shares the token-embedding matrix. See <see cref="TransformerAttribute.TiedEmbeddings"/>.</param>
    /// <param name="Dropout">Embedding and residual dropout probability. See <see cref="TransformerAttribute.Dropout"/>.</param>
    /// <param name="Attention">
    /// The attention declarations, in declaration order: each an attention family with its settings (one member of the
    /// closed <see cref="AttentionSpec"/> family) and the layers it applies to. Most models have one, applying to every
    /// layer; hybrid models mix families across layers.
    /// </param>
    /// <param name="FeedForward">The feed-forward network.</param>
    /// <param name="Positions">The position encoding.</param>
    /// <param name="Normalization">The normalization layers.</param>
    /// <param name="Reversible">
    /// Reversible residual layers (RevNet/Reformer): the blocks run on two streams and the backward pass reconstructs
    /// each block's inputs from its outputs. See <see cref="ReversibleAttribute"/>.
    /// </param>
    /// <param name="Head">
    /// The output head: null for the language-model head (logits over Vocab at every position), otherwise a
    /// classification or masked-language-model head (<see cref="ClassificationHeadAttribute"/>,
    /// <see cref="MaskedLanguageModelHeadAttribute"/>).
    /// </param>
    /// <param name="Encoder">
    /// Null for a model of one stack. Otherwise the model is an encoder–decoder: this spec's Vocab, Depth and MaxLength
    /// are the target side's (the decoder), and <paramref name="Encoder"/> the source side. See <see cref="EncoderAttribute"/>,
    /// <see cref="EncoderStack"/> and <see cref="DecoderStack"/>.
    /// </param>
    /// <param name="Budget">A Mult-Adds budget the model must fit (<see cref="TransformerAttribute.MultAddsBudget"/>); null for none.</param>
    /// <param name="CrossAttention">
    /// Set on <see cref="DecoderStack"/> only: every block also attends to an encoder's output. Null otherwise.
    /// </param>
    public sealed record ModelSpec(
        string Name,
        int Vocab,
        int Dim,
        int Depth,
        int MaxLength,
        bool Causal,
        bool Bias,
        bool TiedEmbeddings,
        double Dropout,
        ImmutableEquatableArray<LayerAttention> Attention,
        FeedForwardSpec FeedForward,
        PositionSpec Positions,
        NormSpec Normalization,
        bool Reversible = false,
        HeadSpec? Head = null,
        EncoderSpec? Encoder = null,
        CrossAttentionSpec? CrossAttention = null,
        BudgetSpec? Budget = null)
    {
        /// <summary>A spec whose every layer has the same attention, the common case.</summary>
        public static ImmutableEquatableArray<LayerAttention> EveryLayer(AttentionSpec attention) =>
            ImmutableEquatableArray.Create(new LayerAttention(attention, LayerSelector.Remaining));

        /// <summary>Dimensions per head of <paramref name="attention"/>, Dim / Heads (0 when Heads is not positive).</summary>
        public int HeadDimOf(AttentionSpec attention) => attention.Heads > 0 ? attention.Width(Dim) / attention.Heads : 0;

        /// <summary>
        /// Which declaration of <see cref="Attention"/> each layer uses (its index), or −1 for a layer no declaration
        /// covers (a broken spec). A layer named by a declaration's <see cref="LayerSelector"/> uses the first such
        /// declaration; the others use the first declaration that takes the remaining layers.
        /// </summary>
        public IReadOnlyList<int> AttentionIndexOfLayers()
        {
            var indices = Enumerable.Repeat(-1, Math.Max(0, Depth)).ToArray();
            for (int i = 0; i < Attention.Count; i++)
            {
                if (!IsOwnStack(Attention[i]))
                    continue;
                foreach (int layer in Attention[i].Layers.NamedLayers(Depth))
                {
                    if (indices[layer] < 0)
                        indices[layer] = i;
                }
            }
            int remaining = -1;
            for (int i = Attention.Count - 1; i >= 0; i--)
            {
                if (IsOwnStack(Attention[i]) && Attention[i].Layers.IsRemaining)
                    remaining = i;
            }
            for (int layer = 0; layer < indices.Length; layer++)
            {
                if (indices[layer] < 0)
                    indices[layer] = remaining;
            }
            return indices;
        }

        /// <summary>The attention of layer <paramref name="layer"/>.</summary>
        /// <exception cref="ArgumentOutOfRangeException">When the layer does not exist or has no attention.</exception>
        public AttentionSpec AttentionAt(int layer)
        {
            if (layer < 0 || layer >= Depth)
                throw new ArgumentOutOfRangeException(nameof(layer), layer, $"Layers are numbered 0 to {Depth - 1}.");
            int index = AttentionIndexOfLayers()[layer];
            return index >= 0 ? Attention[index].Attention : throw new ArgumentOutOfRangeException(nameof(layer), layer, "No attention declaration covers this layer.");
        }

        // The layers this spec's Depth counts are the decoder's in an encoder–decoder, and all of them otherwise.
        private bool IsOwnStack(LayerAttention declaration) => Encoder is null || declaration.AppliesTo(ModelStack.Decoder);

        /// <summary>True for an encoder–decoder (a model with <see cref="Encoder"/>).</summary>
        public bool IsEncoderDecoder => Encoder is not null;

        /// <summary>
        /// The indices into <see cref="Attention"/> of the declarations that apply to <paramref name="stack"/> of an
        /// encoder–decoder (Encoder or Decoder), in order.
        /// </summary>
        public IReadOnlyList<int> DeclarationsOf(ModelStack stack) =>
            Enumerable.Range(0, Attention.Count).Where(i => Attention[i].AppliesTo(stack)).ToList();

        /// <summary>
        /// The encoder of an encoder–decoder as a model of its own: named <c>Encoder</c>, the source's Vocab, Depth and
        /// MaxLength, bidirectional, the declarations that apply to it (their indices in <see cref="DeclarationsOf"/>),
        /// and no head (<see cref="HiddenStatesHeadSpec"/>: its output is what the decoder attends to).
        /// </summary>
        /// <exception cref="InvalidOperationException">When this spec has no <see cref="Encoder"/>.</exception>
        public ModelSpec EncoderStack()
        {
            var encoder = Encoder ?? throw new InvalidOperationException($"Model '{Name}' has no encoder.");
            return this with
            {
                Name = "Encoder",
                Vocab = encoder.Vocab,
                Depth = encoder.Depth,
                MaxLength = encoder.MaxLength,
                Causal = false,
                TiedEmbeddings = false,
                Attention = StackDeclarations(ModelStack.Encoder),
                Reversible = false,
                Head = HiddenStatesHeadSpec.Instance,
                Encoder = null,
                Budget = null,
            };
        }

        /// <summary>
        /// The decoder of an encoder–decoder as a model of its own: named <c>Decoder</c>, this spec's target side, the
        /// declarations that apply to it, and a <see cref="CrossAttention"/> to the encoder in every block.
        /// </summary>
        /// <exception cref="InvalidOperationException">When this spec has no <see cref="Encoder"/>.</exception>
        public ModelSpec DecoderStack()
        {
            var encoder = Encoder ?? throw new InvalidOperationException($"Model '{Name}' has no encoder.");
            return this with
            {
                Name = "Decoder",
                Attention = StackDeclarations(ModelStack.Decoder),
                Encoder = null,
                CrossAttention = new CrossAttentionSpec(encoder.CrossAttentionHeads, encoder.MaxLength, encoder.SharedEmbeddings),
                Budget = null,
            };
        }

        private ImmutableEquatableArray<LayerAttention> StackDeclarations(ModelStack stack) =>
            DeclarationsOf(stack).Select(i => Attention[i] with { Stack = ModelStack.Both }).ToImmutableEquatableArray();

        /// <summary>True when the blocks are pre-norm, which adds a final norm before the output head.</summary>
        public bool HasFinalNorm => Normalization.Placement == NormPlacement.Pre;

        /// <summary>
        /// Every rule this spec breaks, in a stable order (empty when the spec is valid). The same rules, with the same
        /// IDs and messages, are the generator's compile-time diagnostics.
        /// </summary>
        public ImmutableEquatableArray<SpecProblem> Validate() => SpecValidation.Validate(this);

        /// <summary>Returns this spec, or throws <see cref="ArgumentException"/> listing every broken rule.</summary>
        public ModelSpec EnsureValid()
        {
            var problems = Validate();
            if (problems.IsEmpty)
                return this;
            throw new ArgumentException(
                $"Model spec '{Name}' is invalid:" + string.Concat(problems.Select(p => "\n  " + p)));
        }
    }
}
