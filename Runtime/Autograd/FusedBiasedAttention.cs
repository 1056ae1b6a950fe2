using XformerDsl.Attention;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// Runs a generated attention kernel that takes an additive score bias: checks the tensors, takes the reference path
/// for tensors the kernel does not serve, and otherwise runs the kernel through autograd, whose backward pass gives the
/// bias its gradient (summed over what the bias is broadcast along).
/// </summary>
/// <typeparam name="TKernel">The generated kernel.</typeparam>
public static class FusedBiasedAttention<TKernel> where TKernel : IFusedBiasedAttentionKernel
{
    /// <summary>
    /// <c>softmax(scale·Q·Kᵀ + B + mask)·V</c> over <c>[batch, heads, seq, headDim]</c> queries, keys and values, with
    /// the bias <paramref name="scoreBias"/> broadcastable to <c>[batch, heads, queries, keys]</c> (<c>[heads, queries,
    /// keys]</c> shared by the batch, or <c>[batch, heads, queries, keys]</c>) and read in place through its strides.
    /// Returns <c>[batch, heads, queries, headDim]</c>, laid out as <c>[batch, queries, heads, headDim]</c> in memory.
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes disagree, or the kernel is bias-only.</exception>
    public static Tensor Apply(Tensor query, Tensor key, Tensor value, Tensor? keyPaddingMask, Tensor scoreBias)
    {
        if (!TKernel.ScoresQueriesAndKeys)
            throw new ArgumentException($"{TKernel.Description}: the kernel is bias-only and scores no queries and keys; call {nameof(ApplyBias)}(scoreBias, value, keyPaddingMask).");
        FusedAttention<TKernel>.CheckInputs(query, key, value, keyPaddingMask);
        CheckBias(scoreBias, value, query.shape[2]);
        if (FusedAttention<TKernel>.WhyNotFused(query, key, value, keyPaddingMask) is not null || scoreBias.device_type != value.device_type)
            return TKernel.Reference(query, key, value, keyPaddingMask, scoreBias);
        return FusedBiasedAttentionFunction<TKernel>.Run(query, key, value, keyPaddingMask, scoreBias)[0].transpose(1, 2);
    }

    /// <summary>
    /// Bias-only attention, <c>softmax(B + mask)·V</c>: every query's scores are its row of the bias, no query or key
    /// is scored. <paramref name="scoreBias"/> is <c>[heads, queries, keys]</c> or <c>[batch, heads, queries, keys]</c>
    /// (anything broadcastable to the latter); values are <c>[batch, heads, keys, headDim]</c>.
    /// </summary>
    /// <exception cref="ArgumentException">When the shapes disagree, or the kernel scores queries and keys.</exception>
    public static Tensor ApplyBias(Tensor scoreBias, Tensor value, Tensor? keyPaddingMask)
    {
        if (TKernel.ScoresQueriesAndKeys)
            throw new ArgumentException($"{TKernel.Description}: the kernel scores queries and keys; call {nameof(Apply)}(query, key, value, keyPaddingMask, scoreBias).");
        if (value.dim() != 4 || value.shape[3] != TKernel.HeadDim)
            throw new ArgumentException($"{TKernel.Description}: value must be [batch, heads, keys, {TKernel.HeadDim}]; got {AttentionShapes.Shape(value)}.");
        if (scoreBias.dim() < 2)
            throw new ArgumentException($"{TKernel.Description}: the score bias must be [heads, queries, keys] or [batch, heads, queries, keys]; got {AttentionShapes.Shape(scoreBias)}.");
        long queries = scoreBias.shape[^2];
        CheckLength(queries, value.shape[2]);
        CheckBias(scoreBias, value, queries);
        if (keyPaddingMask is not null && (keyPaddingMask.dim() != 2 || keyPaddingMask.shape[0] != value.shape[0] || keyPaddingMask.shape[1] != value.shape[2]))
            throw new ArgumentException($"{TKernel.Description}: keyPaddingMask must be [batch, keys] = [{value.shape[0]}, {value.shape[2]}]; got {AttentionShapes.Shape(keyPaddingMask)}.");
        if (FusedKernelSupport.WhyNotFused(value, value, value, keyPaddingMask) is not null || scoreBias.device_type != value.device_type)
            return TKernel.Reference(null, null, value, keyPaddingMask, scoreBias);
        return FusedBiasedAttentionFunction<TKernel>.Run(null, null, value, keyPaddingMask, scoreBias)[0].transpose(1, 2);
    }

    private static void CheckLength(long queries, long keys)
    {
        if (queries > TKernel.MaxLength || keys > TKernel.MaxLength)
            throw new ArgumentException(
                $"{TKernel.Description}: the kernel serves sequences of up to MaxLength = {TKernel.MaxLength} tokens, but there are {queries} queries and {keys} keys; " +
                $"cut the sequence to {TKernel.MaxLength} tokens, or declare a larger MaxLength.");
    }

    private static void CheckBias(Tensor scoreBias, Tensor value, long queries)
    {
        long[] target = [value.shape[0], value.shape[1], queries, value.shape[2]];
        bool broadcastable = scoreBias.dim() <= 4 && scoreBias.dtype == value.dtype &&
            scoreBias.shape.Reverse().Zip(target.Reverse()).All(pair => pair.First == pair.Second || pair.First == 1);
        if (!broadcastable)
            throw new ArgumentException(
                $"{TKernel.Description}: the score bias must be {value.dtype} and broadcastable to [batch, heads, queries, keys] = [{string.Join(", ", target)}]; " +
                $"got {scoreBias.dtype} {AttentionShapes.Shape(scoreBias)}. Narrow a [heads, MaxLength, MaxLength] bias to the sequence first.");
    }
}
