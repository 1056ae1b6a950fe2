using System;
using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>The normalization layers of the model.</summary>
    /// <param name="Kind">LayerNorm or RMSNorm. See <see cref="NormKind"/>.</param>
    /// <param name="Placement">Pre- or post-norm. See <see cref="NormPlacement"/>.</param>
    /// <param name="Epsilon">Stability ε. See <see cref="NormalizationAttribute.Epsilon"/>.</param>
    public sealed record NormSpec(NormKind Kind, NormPlacement Placement, double Epsilon);
}
