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
    }
}
