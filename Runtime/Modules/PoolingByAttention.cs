using TorchSharp;
using TorchSharp.Modules;
using XformerDsl.Attention.Full;
using static TorchSharp.torch;

namespace XformerDsl.Modules;

/// <summary>
/// Set Transformer's pooling by multihead attention, PMA_k (Lee et al., 2019, §3.2): k learned seeds attend over a set
/// of vectors through a multihead attention block,
/// <c>H = norm(Q + Attention(Q, K, V))</c>, output <c>= ff_norm(H + relu(ff(H)))</c>, with <c>Q = q_proj(seeds)</c>,
/// <c>K = k_proj(x)</c>, <c>V = v_proj(x)</c>. Padding (false in the mask) is never attended to. It is the inner
/// block of <c>[InducedAttention]</c> (k inducing points, <c>H = MAB(I, X)</c>) and <see cref="XformerDsl.Pooling.Attention"/>
/// (one seed). Scores are scaled by 1/√headDim, as the paper writes; the authors' code scales by 1/√Dim.
/// </summary>
public sealed class PoolingByAttention : nn.Module<Tensor, Tensor?, Tensor>
{
    /// <summary>Attention of <c>[batch, heads, queries, headDim]</c> queries over keys and values with a key-padding mask.</summary>
    public delegate Tensor Attend(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask);

    private readonly Parameter seeds;
    private readonly Linear q_proj;
    private readonly Linear k_proj;
    private readonly Linear v_proj;
    private readonly nn.Module<Tensor, Tensor> norm;
    private readonly Linear ff;
    private readonly nn.Module<Tensor, Tensor> ff_norm;
    private readonly Attend _attend;

    /// <summary>Creates the block; <see cref="InitializeWeights"/> gives the weights their starting values.</summary>
    /// <param name="dim">Width of the vectors, and of the seeds.</param>
    /// <param name="heads">Heads; must divide <paramref name="dim"/>.</param>
    /// <param name="seedCount">k, the learned seeds: the rows of the output.</param>
    /// <param name="bias">Biases in the Linears (and in LayerNorms).</param>
    /// <param name="rmsNorm">RMSNorm instead of LayerNorm, as the model declares.</param>
    /// <param name="eps">The norms' ε.</param>
    /// <param name="attend">
    /// The attention step; null for <see cref="FullAttentionReference"/> (bidirectional). Generated code passes its
    /// fused kernel, which serves k queries over any number of keys.
    /// </param>
    public PoolingByAttention(long dim, long heads, long seedCount, bool bias, bool rmsNorm, double eps, Attend? attend = null)
        : base(nameof(PoolingByAttention))
    {
        if (dim < 1 || heads < 1 || dim % heads != 0)
            throw new ArgumentException($"{nameof(PoolingByAttention)}: heads = {heads} must divide dim = {dim}; choose a divisor of {dim}.", nameof(heads));
        if (seedCount < 1)
            throw new ArgumentOutOfRangeException(nameof(seedCount), seedCount, $"{nameof(PoolingByAttention)} needs at least one seed.");
        Dim = dim;
        Heads = heads;
        SeedCount = seedCount;
        _attend = attend ?? ((q, k, v, mask) => FullAttentionReference.Forward(q, k, v, causal: false, mask));
        seeds = new Parameter(empty(seedCount, dim));
        q_proj = nn.Linear(dim, dim, hasBias: bias);
        k_proj = nn.Linear(dim, dim, hasBias: bias);
        v_proj = nn.Linear(dim, dim, hasBias: bias);
        norm = CreateNorm(dim, rmsNorm, bias, eps);
        ff = nn.Linear(dim, dim, hasBias: bias);
        ff_norm = CreateNorm(dim, rmsNorm, bias, eps);
        RegisterComponents();
    }

    /// <summary>Width of the vectors.</summary>
    public long Dim { get; }

    /// <summary>Heads of the attention.</summary>
    public long Heads { get; }

    /// <summary>k, the learned seeds.</summary>
    public long SeedCount { get; }

    /// <summary>
    /// Seeds Xavier-uniform (as the authors' code), Linear weights ~ N(0, <paramref name="std"/>) with zero biases, norms
    /// to the identity.
    /// </summary>
    public void InitializeWeights(double std)
    {
        using var noGrad = no_grad();
        nn.init.xavier_uniform_(seeds);
        foreach (var linear in new[] { q_proj, k_proj, v_proj, ff })
        {
            nn.init.normal_(linear.weight!, 0.0, std);
            if (linear.bias is { } linearBias)
                nn.init.zeros_(linearBias);
        }
        foreach (var (name, parameter) in norm.named_parameters().Concat(ff_norm.named_parameters()))
        {
            if (name == "weight")
                nn.init.ones_(parameter);
            else
                nn.init.zeros_(parameter);
        }
    }

    /// <summary>Pools <c>[batch, seq, Dim]</c> into <c>[batch, SeedCount, Dim]</c>.</summary>
    /// <param name="x">The set (or sequence) of vectors.</param>
    /// <param name="keyPaddingMask">Null, or bool <c>[batch, seq]</c>, true for real tokens; padding is not attended to.</param>
    /// <exception cref="ArgumentException">When <paramref name="x"/> is not <c>[batch, seq, Dim]</c>.</exception>
    public override Tensor forward(Tensor x, Tensor? keyPaddingMask)
    {
        if (x.dim() != 3 || x.shape[2] != Dim)
            throw new ArgumentException(
                $"{nameof(PoolingByAttention)}: x must be [batch, seq, {Dim}], but has shape {ModelInputs.Shape(x)}; project the vectors to width {Dim}.", nameof(x));
        long batch = x.shape[0], seq = x.shape[1], headDim = Dim / Heads;
        // The seeds' queries are the same for every sequence: [k, Dim] -> [batch, heads, k, headDim] without copying.
        var queries = q_proj.forward(seeds);
        var q = queries.view(1, SeedCount, Heads, headDim).transpose(1, 2).expand(batch, Heads, SeedCount, headDim);
        var k = k_proj.forward(x).view(batch, seq, Heads, headDim).transpose(1, 2);
        var v = v_proj.forward(x).view(batch, seq, Heads, headDim).transpose(1, 2);
        // The seeds attend to the real tokens only: [batch, heads, k, headDim]; a sequence with none gets zeros.
        var attended = _attend(q, k, v, keyPaddingMask).transpose(1, 2).reshape(batch, SeedCount, Dim);
        // The MAB's residual on the seeds' queries, its norm, then the row-wise feed-forward with its residual and norm.
        var h = norm.forward(queries + attended);
        return ff_norm.forward(h + nn.functional.relu(ff.forward(h)));
    }

    private static nn.Module<Tensor, Tensor> CreateNorm(long dim, bool rmsNorm, bool bias, double eps) =>
        rmsNorm ? new RmsNorm(dim, eps) : nn.LayerNorm(dim, eps: eps, bias: bias);
}
