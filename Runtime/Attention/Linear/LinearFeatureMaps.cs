using XformerDsl.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace XformerDsl.Attention.Linear;

/// <summary>
/// The feature maps φ of <c>[LinearAttention]</c>, applied per head to <c>[batch, heads, seq, headDim]</c> queries or keys.
/// Every map returns non-negative features, which keeps every normaliser of <see cref="LinearAttentionReference"/> ≥ 0.
/// </summary>
public static class LinearFeatureMaps
{
    /// <summary><c>elu(x) + 1</c> (Katharopoulos et al., 2020): positive, same width as the head.</summary>
    public static Tensor EluPlusOne(Tensor x) => F.elu(x, alpha: 1.0) + 1;

    /// <summary><c>relu(x)</c>: non-negative, same width as the head.</summary>
    public static Tensor Relu(Tensor x) => F.relu(x);

    /// <summary>
    /// T2R's learned map (Kasai et al., 2021): <c>relu(W_h x + b_h)</c> per head h.
    /// </summary>
    /// <param name="x"><c>[batch, heads, seq, headDim]</c>.</param>
    /// <param name="weight">W, <c>[heads, features, headDim]</c>.</param>
    /// <param name="bias">b, <c>[heads, features]</c>.</param>
    /// <returns><c>[batch, heads, seq, features]</c>.</returns>
    public static Tensor LearnedRelu(Tensor x, Tensor weight, Tensor bias)
    {
        if (weight.dim() != 3 || weight.shape[0] != x.shape[1] || weight.shape[2] != x.shape[3] || bias.dim() != 2 || bias.shape[0] != weight.shape[0] || bias.shape[1] != weight.shape[1])
            throw new ArgumentException(
                $"LearnedRelu: x {AttentionShapes.Shape(x)} needs weight [heads, features, headDim] = [{x.shape[1]}, features, {x.shape[3]}] and bias [heads, features]; " +
                $"got weight {AttentionShapes.Shape(weight)}, bias {AttentionShapes.Shape(bias)}.");
        using var scope = NewDisposeScope();
        // [batch, heads, seq, headDim] · [heads, headDim, features] → [batch, heads, seq, features]; a generation step's
        // few rows on the CPU loop (see TokenLinear.ForwardPerHead).
        var projected = TokenLinear.ForwardPerHead(weight, bias, x);
        return F.relu(projected).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// FAVOR+ positive random features (Choromanski et al., 2021): with <c>x' = x / headDim^¼</c>,
    /// <c>φ(x) = exp(ω_i·x' − ‖x'‖²/2) / √m</c>, so that <c>E[φ(q)·φ(k)] = exp(q·k / √headDim)</c>, the softmax kernel.
    /// Queries subtract their own largest exponent first: a factor common to one query's numerator and normaliser, so
    /// the attention is unchanged and the features cannot overflow. Keys are not shifted (a shift shared across keys
    /// would have to look at every key, which a causal model must not), so their exponents stay at most ‖ω_i‖²/2.
    /// </summary>
    /// <param name="x"><c>[batch, heads, seq, headDim]</c>.</param>
    /// <param name="projection">ω, <c>[features, headDim]</c> (see <see cref="FavorFeatures.Draw"/>).</param>
    /// <param name="isQuery">True for queries, false for keys.</param>
    /// <returns><c>[batch, heads, seq, features]</c>.</returns>
    public static Tensor Favor(Tensor x, Tensor projection, bool isQuery)
    {
        if (projection.dim() != 2 || projection.shape[1] != x.shape[^1])
            throw new ArgumentException(
                $"Favor: x {AttentionShapes.Shape(x)} needs a projection [features, {x.shape[^1]}]; got {AttentionShapes.Shape(projection)}.");
        using var scope = NewDisposeScope();
        long features = projection.shape[0];
        var scaled = x * Math.Pow(x.shape[^1], -0.25);
        // ω·x' as a linear layer without bias: a generation step's few rows run on TokenLinear's CPU loop instead of a
        // batched MKL product, which opens an OpenMP parallel region even for one row.
        var exponent = TokenLinear.Forward(projection.to(x.dtype), null, scaled) - scaled.square().sum(-1, keepdim: true) / 2;
        if (isQuery)
            exponent = exponent - exponent.amax(new long[] { -1 }, keepdim: true).detach();
        return (exponent.exp() / Math.Sqrt(features)).MoveToOuterDisposeScope();
    }
}
