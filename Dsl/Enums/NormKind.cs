namespace XformerDsl
{
    /// <summary>Which normalization every block uses (<see cref="NormalizationAttribute.Kind"/>).</summary>
    public enum NormKind
    {
        /// <summary>
        /// LayerNorm (Ba et al., 2016): subtract the mean, divide by the standard deviation, then scale by
        /// <c>weight</c> and (when <see cref="TransformerAttribute.Bias"/> is true) shift by <c>bias</c>.
        /// </summary>
        LayerNorm = 0,

        /// <summary>
        /// RMSNorm (Zhang &amp; Sennrich, 2019): divide by the root mean square and scale by <c>weight</c>; no centring and
        /// no bias. Slightly cheaper than LayerNorm; the LLaMA choice.
        /// </summary>
        RmsNorm = 1,
    }
}
