namespace XformerDsl
{
    /// <summary>The nonlinearity of the position-wise feed-forward network (<see cref="FeedForwardAttribute.Activation"/>).</summary>
    public enum Activation
    {
        /// <summary>
        /// GELU (Hendrycks &amp; Gimpel, 2016), exact erf form: <c>down(gelu(up(x)))</c>. The GPT-2 and BERT choice.
        /// </summary>
        Gelu = 0,

        /// <summary>ReLU, as in the original Transformer (Vaswani et al., 2017): <c>down(relu(up(x)))</c>.</summary>
        Relu = 1,

        /// <summary>
        /// SwiGLU (Shazeer, 2020, "GLU Variants Improve Transformer"), as in LLaMA:
        /// <c>down(silu(gate(x)) ⊙ up(x))</c>. Adds a third matrix (<c>gate_proj</c>), so at equal
        /// <see cref="FeedForwardAttribute.Hidden"/> it has 1.5× the feed-forward parameters; LLaMA uses Hidden ≈ 8/3·Dim to compensate.
        /// </summary>
        SwiGlu = 2,
    }
}
