namespace XformerDsl
{
    /// <summary>
    /// Which tokens a centroid of a causal <see cref="RoutingAttentionAttribute"/> layer gathers. Bidirectional layers
    /// always use <see cref="TopTokensPerCentroid"/>, the paper's balanced clusters.
    /// </summary>
    public enum RoutingMembership
    {
        /// <summary>
        /// Each token joins its nearest centroid, and attends to itself and the Window latest earlier tokens of that
        /// cluster (the default for causal layers). Membership depends on the token alone and the window on earlier
        /// tokens only, so the output at position t depends on tokens up to t (training agrees with token-by-token
        /// generation), and the model steps from per-cluster caches of Window keys.
        /// </summary>
        NearestCentroid = 0,

        /// <summary>
        /// The paper's balanced clusters (Roy et al., 2021, §4; the official <c>routing_transformer</c> code): each centroid
        /// takes its Window nearest tokens of the whole sequence, attention runs inside each cluster (causal by position in
        /// a causal model), and a token's output is the mean over the clusters it landed in. Whether token t is among a
        /// centroid's nearest depends on how near later tokens are, so in a causal model the output at t is not a function
        /// of tokens up to t, and the model cannot step.
        /// </summary>
        TopTokensPerCentroid = 1,
    }
}
