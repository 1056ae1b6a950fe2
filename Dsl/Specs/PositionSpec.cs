using System;
using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>How positions enter the model.</summary>
    /// <param name="Kind">The encoding. See <see cref="PositionEncoding"/>.</param>
    /// <param name="RotaryBase">Base of the rotary frequencies (used only when <paramref name="Kind"/> is Rotary). See <see cref="PositionsAttribute.RotaryBase"/>.</param>
    public sealed record PositionSpec(PositionEncoding Kind, double RotaryBase);
}
