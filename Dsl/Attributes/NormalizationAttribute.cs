using System;
using XformerDsl.Specs;

namespace XformerDsl
{
    /// <summary>
    /// Chooses the normalization layers and where they sit. Optional: without it a model uses pre-norm LayerNorm with
    /// ε = 1e-5 (GPT-2).
    /// </summary>
    [AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
    public sealed class NormalizationAttribute : Attribute
    {
        /// <summary>LayerNorm (default) or RMSNorm. See <see cref="NormKind"/>.</summary>
        public NormKind Kind { get; set; } = SpecDefaults.Norm;

        /// <summary>
        /// Pre-norm (default; with a final norm before the output head) or post-norm (no final norm). See <see cref="NormPlacement"/>.
        /// </summary>
        public NormPlacement Placement { get; set; } = SpecDefaults.Placement;

        /// <summary>The ε added to the variance (or mean square) for numerical stability. Must be positive; 1e-5 by default.</summary>
        public double Epsilon { get; set; } = SpecDefaults.Epsilon;
    }
}
