using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Locality-sensitive-hashing attention (Kitaev, Kaiser &amp; Levskaya, 2020, "Reformer: The Efficient
    /// Transformer", §2): queries and keys share one projection (keys are the unit-normalised queries); each round
    /// hashes every vector with a random rotation R to bucket argmax([x·R; −x·R]) (angular LSH), sorts the positions by
    /// (bucket, position), cuts the sorted sequence into chunks of <see cref="BucketSize"/> and lets each chunk attend
    /// to itself and the previous chunk; in causal models each query instead attends to the BucketSize previous keys of its own
    /// bucket (<see cref="CausalWindow"/>), so its output depends on earlier tokens only. A token attends to itself only when it has no other target; causal models
    /// hide later positions; keys seen in several rounds are counted once, and the rounds are combined by their
    /// log-sum-exp. Cost O(L · BucketSize · Rounds) instead of O(L²). The hashing is drawn fresh for every training
    /// forward pass (from TorchSharp's generator, so <c>torch.manual_seed</c> reproduces it) and is fixed by
    /// <see cref="Seed"/> in evaluation mode.
    /// </summary>
    /// <example>
    /// <code>
    /// [Transformer(Vocab = 256, Dim = 256, Depth = 6, MaxLength = 16384)]
    /// [LshAttention(Heads = 4, BucketSize = 64, Rounds = 2)]
    /// [FeedForward(Hidden = 1024, Chunks = 8)]
    /// [Reversible]
    /// public partial class ByteReformer;
    /// </code>
    /// </example>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = true, Inherited = false)]
    public sealed class LshAttentionAttribute : AttentionAttribute
    {
        /// <summary>
        /// Positions per chunk (64 by default, as in the paper). MaxLength must be a multiple of 2·BucketSize, so that a
        /// full-length sequence has an even number of buckets, MaxLength / BucketSize (shorter sequences are padded).
        /// Range 1 to 65,536.
        /// </summary>
        public int BucketSize { get; set; } = LshAttentionSpec.DefaultBucketSize;

        /// <summary>
        /// Hashing rounds (2 by default): more rounds make it less likely that similar vectors land in different buckets,
        /// at proportional cost. The paper reaches full attention's accuracy with 8. Range 1 to 64.
        /// </summary>
        public int Rounds { get; set; } = LshAttentionSpec.DefaultRounds;

        /// <summary>Seed of the random rotations used in evaluation mode (training draws fresh ones every pass). 0 by default.</summary>
        public int Seed { get; set; }

        /// <summary>
        /// In causal models, which keys a query attends to in each round: <see cref="LshCausalWindow.PreviousInBucket"/>
        /// (the default; the output at t depends on tokens up to t only, and the model steps token by token) or
        /// <see cref="LshCausalWindow.SortedChunks"/> (the paper's chunking, whose chunk boundaries depend on later
        /// tokens). Bidirectional models always use the paper's chunking.
        /// </summary>
        public LshCausalWindow CausalWindow { get; set; } = LshAttentionSpec.DefaultCausalWindow;
    }
}
