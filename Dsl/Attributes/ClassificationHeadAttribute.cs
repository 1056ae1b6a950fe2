using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Makes a bidirectional <see cref="TransformerAttribute"/> (<c>Causal = false</c>) a sequence classifier:
    /// <c>forward(tokens, keyPaddingMask)</c> returns logits <c>[batch, Classes]</c>. The encoder's output is pooled over
    /// the real tokens of each sequence (<see cref="Pooling"/>; the padding mask reaches the pooling), then the head of
    /// RoBERTa's <c>RobertaClassificationHead</c>: <c>classifier.dense</c> (Dim → Dim), tanh, dropout,
    /// <c>classifier.out_proj</c> (Dim → Classes). The trainer trains it with cross-entropy over labels.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 128, Depth = 2, MaxLength = 256, Causal = false)]
    /// [FullAttention(Heads = 4)]
    /// [ClassificationHead(Classes = 4)]
    /// public partial class TopicClassifier;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class ClassificationHeadAttribute : Attribute
    {
        /// <summary>Required. Number of classes: labels run from 0 to Classes − 1. Range 1 to 1,048,576.</summary>
        public int Classes { get; set; }

        /// <summary>How the sequence becomes one vector: <see cref="Pooling.Mean"/> (default), <see cref="Pooling.First"/> or <see cref="Pooling.Attention"/>.</summary>
        public Pooling Pooling { get; set; } = SpecDefaults.Pooling;
    }
}
