using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Shapes the position-wise feed-forward network in every block: <c>down(act(up(x)))</c>, or
    /// <c>down(silu(gate(x)) ⊙ up(x))</c> for SwiGLU. Optional: without it a model gets Hidden = 4·Dim and GELU.
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class FeedForwardAttribute : Attribute
    {
        /// <summary>
        /// Width of the hidden layer (<c>d_ff</c>). Defaults to 4·Dim when left out. Range 1 to 1,048,576.
        /// </summary>
        public int Hidden { get; set; }

        /// <summary>The nonlinearity; <see cref="XformerDsl.Activation.Gelu"/> by default. See <see cref="XformerDsl.Activation"/>.</summary>
        public Activation Activation { get; set; } = SpecDefaults.Activation;

        /// <summary>
        /// Runs the feed-forward network over the sequence in pieces, forward and backward, so its <c>[batch, seq, Hidden]</c>
        /// activations exist for one piece at a time (Kitaev, Kaiser &amp; Levskaya, 2020, "Reformer: The Efficient
        /// Transformer", §3 "Chunking"). Chunks = n cuts a MaxLength sequence into n pieces of MaxLength / n positions,
        /// so it must divide MaxLength; a shorter sequence runs in ⌈seq / (MaxLength / n)⌉ pieces of that size, the last
        /// one shorter. The backward pass recomputes each piece's hidden activations instead of storing them, so peak
        /// memory no longer grows with Hidden × seq; the result and the gradients equal the unchunked network's.
        /// 1 (default) runs the whole sequence at once and stores the activations as usual.
        /// </summary>
        public int Chunks { get; set; } = SpecDefaults.FeedForwardChunks;
    }
}
