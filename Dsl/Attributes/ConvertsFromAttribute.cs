using System;

namespace XformerDsl
{
    /// <summary>
    /// Declares that this model can be built from a trained model of another <c>[Transformer]</c> class with the same
    /// frame, the swap-then-finetune workflow of T2R (Kasai et al., 2021, "Finetuning Pretrained Transformers into
    /// RNNs"): train a softmax model, swap its attention for a linear one, reuse every shared weight, finetune.
    /// The generator reads the source's own attributes and checks at compile time that every weight the two models
    /// share has the same shape and meaning: Vocab, Dim, Depth, MaxLength, Causal, Bias, TiedEmbeddings, the
    /// positions, the normalization, the feed-forward network, Reversible and each layer's Heads must agree. A pair
    /// that does not is a compile error (XF0055) naming the part and the fix; a source type without
    /// <c>[Transformer]</c> is XF0054. It then emits, on this class,
    /// <c>public static TTarget ConvertFrom(TSource source, out IReadOnlyList&lt;string&gt; newParameters)</c>, which
    /// builds a new model, copies every shared weight with <c>XformerDsl.Modules.WeightTransfer.CopyShared</c> and
    /// reports the names of the weights only this model has (for T2R, each layer's feature map), which keep their
    /// initialisation and are what finetuning must learn first.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256)]
    /// [FullAttention(Heads = 4)]
    /// public partial class TinyGpt;
    ///
    /// [Transformer(Vocab = 256, Dim = 128, Depth = 4, MaxLength = 256)]
    /// [LinearAttention(Heads = 4, Kernel = FeatureMap.LearnedRelu, Features = 32)]
    /// [ConvertsFrom(typeof(TinyGpt))]
    /// public partial class TinyT2R;
    ///
    /// var t2r = TinyT2R.ConvertFrom(trainedGpt, out var newParameters);   // then finetune t2r
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class ConvertsFromAttribute : Attribute
    {
        /// <summary>Declares the model this one converts from.</summary>
        /// <param name="source">A <c>[Transformer]</c> class with the same frame, written as <c>typeof(TinyGpt)</c>.</param>
        public ConvertsFromAttribute(Type source) => Source = source;

        /// <summary>The model this one converts from.</summary>
        public Type Source { get; }
    }
}
