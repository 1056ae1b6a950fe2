using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Declares a transformer language model. Put it on a <c>partial class</c> together with exactly one attention
    /// attribute (such as <see cref="FullAttentionAttribute"/>) and, optionally, <see cref="FeedForwardAttribute"/>,
    /// <see cref="PositionsAttribute"/> and <see cref="NormalizationAttribute"/>. The XformerDsl source generator
    /// validates the declaration at compile time and completes the class as a TorchSharp
    /// <c>nn.Module&lt;Tensor, Tensor&gt;</c> mapping token ids <c>[batch, seq]</c> (int64) to logits <c>[batch, seq, Vocab]</c>.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 4, MaxLength = 1024, Causal = true)]
    /// [FullAttention(Heads = 4)]
    /// [FeedForward(Hidden = 1024)]
    /// public partial class TinyGpt;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class TransformerAttribute : Attribute
    {
        /// <summary>
        /// Required. Vocabulary size: token ids run from 0 to Vocab − 1, and the logits have Vocab entries per position
        /// (256 for bytes). Range 1 to 16,777,216.
        /// </summary>
        public int Vocab { get; set; }

        /// <summary>
        /// Required. Model width <c>d_model</c>: the size of every token's vector between layers. Attention splits it into
        /// Heads heads of Dim / Heads each. Range 1 to 65,536.
        /// </summary>
        public int Dim { get; set; }

        /// <summary>Required. Number of transformer blocks (layers), each attention then feed-forward. Range 1 to 1,024.</summary>
        public int Depth { get; set; }

        /// <summary>
        /// Required. The longest sequence the model accepts, in tokens. Sizes the learned position table and bounds the
        /// <c>seq</c> dimension of the input; the model card reports MACs per token at this length. Range 1 to 1,048,576.
        /// </summary>
        public int MaxLength { get; set; }

        /// <summary>
        /// True (default): a causal decoder, each position attends to itself and earlier positions only (GPT).
        /// False: a bidirectional encoder, each position attends to the whole sequence (BERT).
        /// </summary>
        public bool Causal { get; set; } = SpecDefaults.Causal;

        /// <summary>
        /// True (default): every Linear layer and every LayerNorm has a learned bias (GPT-2). False: none does
        /// (PaLM, LLaMA), which saves a few parameters and often trains as well. RMSNorm never has a bias.
        /// A tied output head (<see cref="TiedEmbeddings"/>) never has a bias.
        /// </summary>
        public bool Bias { get; set; } = SpecDefaults.Bias;

        /// <summary>
        /// False (default): the output head <c>lm_head</c> has its own Vocab × Dim matrix. True: the output head reuses the
        /// token-embedding matrix (Press &amp; Wolf, 2017, "Using the Output Embedding to Improve Language Models"),
        /// saving Vocab·Dim parameters.
        /// </summary>
        public bool TiedEmbeddings { get; set; } = SpecDefaults.TiedEmbeddings;

        /// <summary>
        /// Dropout probability applied, in training mode only, to the embeddings and to the output of every attention and
        /// feed-forward sublayer before it joins the residual stream (as in GPT-2). 0 (default) disables dropout.
        /// Must satisfy 0 ≤ Dropout &lt; 1.
        /// </summary>
        public double Dropout { get; set; } = SpecDefaults.Dropout;

        /// <summary>
        /// A compute budget: the most Mult-Adds (multiply-accumulates) one sentence of <see cref="SentenceLength"/> tokens
        /// may cost, counted as <see cref="ModelCard.MultAddsPerSentence"/> does (every stack over the sentence, the output
        /// head and embeddings excluded; Lite Transformer's convention). A model over it is compile error XF0089, naming the
        /// count, the budget and the part that costs most. 0 (the default) declares no budget. Lite Transformer compares
        /// models at 100M and 500M Mult-Adds.
        /// </summary>
        public long MultAddsBudget { get; set; }

        /// <summary>
        /// The sentence length, in tokens, at which <see cref="MultAddsBudget"/> is counted: the source and the target of an
        /// encoder–decoder each have this many. Default 30, the length Lite Transformer's Mult-Adds are counted at.
        /// Range 1 to 1,048,576.
        /// </summary>
        public int SentenceLength { get; set; } = SpecDefaults.SentenceLength;
    }
}
