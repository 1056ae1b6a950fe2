using System;

namespace XformerDsl
{
    /// <summary>
    /// What every attention attribute has: its number of heads and the layers it applies to. A model declares one
    /// attention attribute for all its layers, or several, as hybrid models do: one without <see cref="Layers"/> or
    /// <see cref="Every"/>, which takes every layer no other claims, and others that name their layers, e.g. a sliding
    /// window in most layers and full attention every fourth layer:
    /// <code>
    /// [SlidingWindowAttention(Heads = 4, Window = 256)]
    /// [FullAttention(Heads = 4, Every = 4)]
    /// </code>
    /// Each layer gets exactly one attention; the generator reports overlaps and uncovered layers at compile time.
    /// </summary>
    public abstract class AttentionAttribute : Attribute
    {
        private protected AttentionAttribute() { }

        /// <summary>
        /// Required. Number of attention heads. Must divide <see cref="TransformerAttribute.Dim"/>; each head works on
        /// Dim / Heads dimensions (64 is the common head size). Range 1 to 1,024.
        /// </summary>
        public int Heads { get; set; }

        /// <summary>
        /// The layers (numbered from 0) this attention applies to, e.g. <c>Layers = new[] { 0, 6 }</c>. Leave out both
        /// this and <see cref="Every"/> to apply the attention to every layer no other attention attribute claims.
        /// </summary>
        public int[]? Layers { get; set; }

        /// <summary>
        /// Applies this attention to every n-th layer, counting from 1: <c>Every = 4</c> in a 12-layer model picks the
        /// 4th, 8th and 12th layers (numbered 3, 7 and 11 from 0). From 1 to Depth; 0 (the default) means not set.
        /// </summary>
        public int Every { get; set; }

        /// <summary>
        /// In an encoder–decoder (a model with <see cref="EncoderAttribute"/>): the stack whose self-attention this is.
        /// <see cref="ModelStack.Both"/> (the default) applies it to the encoder and the decoder alike, Layers and Every
        /// counting each stack's layers; give <see cref="ModelStack.Encoder"/> or <see cref="ModelStack.Decoder"/> to give
        /// the stacks different attention, e.g. T2R's translation setting, full attention in the encoder and a learned
        /// linear kernel in the decoder:
        /// <code>
        /// [FullAttention(Heads = 4, Stack = ModelStack.Encoder)]
        /// [LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Stack = ModelStack.Decoder)]
        /// </code>
        /// </summary>
        public ModelStack Stack { get; set; }
    }
}
