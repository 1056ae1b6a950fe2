namespace XformerDsl
{
    /// <summary>
    /// Which keys a query of a causal <see cref="LshAttentionAttribute"/> layer attends to in each hashing round.
    /// Bidirectional layers always use <see cref="SortedChunks"/>, the paper's chunking.
    /// </summary>
    public enum LshCausalWindow
    {
        /// <summary>
        /// Itself and the BucketSize previous keys of its own bucket (the default): in (bucket, position) order those are
        /// the rows just before it, and which they are depends only on earlier tokens, so the output at position t depends
        /// on tokens up to t alone (training agrees with token-by-token generation), and the model steps from per-bucket
        /// caches.
        /// </summary>
        PreviousInBucket = 0,

        /// <summary>
        /// The paper's chunking (Kitaev et al., 2020, §2): positions sorted by (bucket, position) are cut into chunks of
        /// BucketSize, and each chunk attends to itself and the previous chunk. Later keys are hidden, but where the chunk
        /// boundaries fall counts every token of the lower buckets, later ones included, so which earlier keys a query sees
        /// depends on later tokens: the output at t is not a function of tokens up to t, and the model cannot step.
        /// </summary>
        SortedChunks = 1,
    }
}
