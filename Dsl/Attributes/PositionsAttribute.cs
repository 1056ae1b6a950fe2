using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Chooses how positions enter the model. Optional: without it a model uses a learned position table
    /// (<see cref="PositionEncoding.Learned"/>).
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class PositionsAttribute : Attribute
    {
        /// <summary>The position encoding; <see cref="PositionEncoding.Learned"/> by default. See <see cref="PositionEncoding"/>.</summary>
        public PositionEncoding Kind { get; set; } = SpecDefaults.Positions;

        /// <summary>
        /// Base of the rotary frequencies, θᵢ = RotaryBase^(−2i / headDim); only used with <see cref="PositionEncoding.Rotary"/>.
        /// 10000 (default) is RoFormer's value; larger bases (500000 in LLaMA 3) rotate slower and suit longer contexts.
        /// Must be greater than 1.
        /// </summary>
        public double RotaryBase { get; set; } = SpecDefaults.RotaryBase;
    }
}
