using System;
using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>The position-wise feed-forward network of every block.</summary>
    /// <param name="Hidden">Hidden width. See <see cref="FeedForwardAttribute.Hidden"/>.</param>
    /// <param name="Activation">Nonlinearity. See <see cref="XformerDsl.Activation"/>.</param>
    /// <param name="Chunks">Pieces a MaxLength sequence runs in, forward and backward. See <see cref="FeedForwardAttribute.Chunks"/>.</param>
    public sealed record FeedForwardSpec(int Hidden, Activation Activation, int Chunks = SpecDefaults.FeedForwardChunks)
    {
        /// <summary>
        /// Positions per piece when chunked: MaxLength / Chunks (Chunks divides MaxLength, XF0070); 0 when the spec
        /// breaks that rule or Chunks is not positive.
        /// </summary>
        public int ChunkLength(int maxLength) => Chunks > 0 && maxLength % Chunks == 0 ? maxLength / Chunks : 0;

        /// <summary>Number of Dim × Hidden matrices: 3 for SwiGLU (gate, up, down), else 2 (up, down).</summary>
        public int MatrixCount => Activation == Activation.SwiGlu ? 3 : 2;
    }
}
