namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>
    /// One residual sublayer of the <c>Block</c>: the module <see cref="Field"/> and its norm <see cref="Norm"/>, wired
    /// pre-norm (<c>x = x + f(norm(x))</c>) or post-norm (<c>x = norm(x + f(x))</c>). The block runs its sublayers in
    /// order: attention, then feed-forward, with frame features adding or extending sublayers between them.
    /// </summary>
    /// <param name="Field">The module's field, which is also its parameter-name prefix: <c>attn</c>, <c>ffn</c>.</param>
    /// <param name="Type">The field's type.</param>
    /// <param name="Create">The expression the block's constructor assigns to the field.</param>
    /// <param name="Arguments">What the block passes to the module's forward after its input (may be empty).</param>
    /// <param name="Description">What the sublayer is, for the block's summary: <c>attention</c>, <c>feed-forward</c>.</param>
    internal sealed record Sublayer(string Field, string Type, string Create, string Arguments, string Description)
    {
        /// <summary>The norm in front of (pre-norm) or after (post-norm) the sublayer: <c>attn_norm</c>, <c>ffn_norm</c>.</summary>
        public string Norm => Field + "_norm";

        /// <summary>The call of the module's forward on <paramref name="input"/>, with its arguments.</summary>
        public string Forward(string input) => $"{Field}.forward({input}{(Arguments.Length > 0 ? ", " + Arguments : "")})";
    }
}
