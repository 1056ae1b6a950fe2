using XformerDsl.Autograd;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Attention.Routing;

/// <summary>
/// Attention inside clusters given as lists of member positions (the paper's balanced clusters, and a bidirectional
/// model's local blocks): each cluster's members, in position order, attend to one another (causally by position when
/// asked; padded or empty members hidden; a member scores itself <see cref="RoutingAttention.SelfScore"/>, so it attends to
/// itself only without another key), and each token's output is the mean over the clusters it is a member of. A token in
/// no cluster attends to itself alone: its output is its value. <see cref="Attend"/> runs on the fused CPU kernel
/// (<see cref="BalancedClusterKernel{T,TVec,TOps}"/>) through TorchSharp autograd; <see cref="Compose"/> is the same
/// attention from TorchSharp ops, for the tensors the kernel does not serve and as its oracle.
/// </summary>
public static class BalancedClusterAttention
{
    /// <summary>
    /// Queries-keys <paramref name="queryKey"/> and values <paramref name="value"/> <c>[batch, heads, length, headDim]</c>;
    /// <paramref name="members"/> int64 <c>[batch, heads, clusters, window]</c> positions, in [0, length) where
    /// <paramref name="memberValid"/> (bool, same shape) is true; false for a slot that holds no token, or a padded one.
    /// Returns <c>[batch, heads, length, headDim]</c>, on the fused kernel for CPU float32 and float64 tensors, composed
    /// (<see cref="Compose"/>) otherwise.
    /// </summary>
    /// <exception cref="ArgumentException">
    /// When the shapes disagree or a valid member lies outside [0, length), naming them.
    /// </exception>
    public static Tensor Attend(Tensor queryKey, Tensor value, Tensor members, Tensor memberValid, bool causal) =>
        AttendOnThreads(queryKey, value, members, memberValid, causal, KernelParallel.DefaultThreads);

    /// <summary><see cref="Attend"/> on a given number of kernel threads (tests).</summary>
    internal static Tensor AttendOnThreads(Tensor queryKey, Tensor value, Tensor members, Tensor memberValid, bool causal,
        int threads)
    {
        CheckInputs(queryKey, value, members, memberValid);
        if (members.numel() == 0)
            return value.clone();   // no cluster: every token attends to itself alone
        if (FusedKernelSupport.WhyNotFused(queryKey, queryKey, value, null) is not null)
            return Compose(queryKey, value, members, memberValid, causal);
        return BalancedClusterFunction.Run(queryKey, value, members, memberValid.to(ScalarType.Bool), causal, threads)[0];
    }

    /// <summary>
    /// <see cref="Attend"/> composed from TorchSharp ops (on any device and dtype): batched matrix products over
    /// <c>[batch, heads, clusters, window, window]</c> scores.
    /// </summary>
    public static Tensor Compose(Tensor queryKey, Tensor value, Tensor members, Tensor memberValid, bool causal)
    {
        using var scope = NewDisposeScope();
        long batch = queryKey.shape[0], heads = queryKey.shape[1], length = queryKey.shape[2], headDim = queryKey.shape[3];
        long clusters = members.shape[2], window = members.shape[3];
        // Members in position order (the decoding order), hidden slots last.
        var sortKey = members.masked_fill(memberValid.logical_not(), length);
        var (sorted, order) = sortKey.sort(-1);
        var valid = memberValid.gather(-1, order);
        var positions = sorted.clamp_max(length - 1);

        // Gathered rows [b, h, clusters, window, headDim], by row index into [b·h·length, headDim].
        var rows = (positions + (arange(batch * heads, ScalarType.Int64, queryKey.device) * length).view(batch, heads, 1, 1)).reshape(-1);
        var gathered = queryKey.reshape(-1, headDim).index_select(0, rows).view(batch, heads, clusters, window, headDim);
        var gatheredValues = value.reshape(-1, headDim).index_select(0, rows).view(batch, heads, clusters, window, headDim);
        var scores = gathered.matmul(gathered.transpose(-2, -1)) / Math.Sqrt(headDim);                       // [b, h, c, w, w]
        var hidden = valid.unsqueeze(-2).logical_not().expand(scores.shape);
        if (causal)
            hidden = hidden.logical_or(positions.unsqueeze(-1).lt(positions.unsqueeze(-2)));
        var self = eye(window, dtype: ScalarType.Bool, device: queryKey.device);
        scores = scores.masked_fill(hidden, double.NegativeInfinity).masked_fill(self, RoutingAttention.SelfScore);
        var attended = scores.softmax(-1).matmul(gatheredValues);                                            // [b, h, c, w, d]

        // Scatter back: the mean over the clusters a token is a member of; its own value where it is in none.
        var taken = valid.to(queryKey.dtype).unsqueeze(-1);
        var sums = zeros(batch * heads * length, headDim, dtype: queryKey.dtype, device: queryKey.device)
            .index_add(0, rows, (attended * taken).reshape(-1, headDim), 1);
        var counts = zeros(batch * heads * length, dtype: queryKey.dtype, device: queryKey.device)
            .index_add(0, rows, taken.reshape(-1), 1);
        var mean = (sums / counts.clamp_min(1).unsqueeze(-1)).view(batch, heads, length, headDim);
        return where(counts.view(batch, heads, length, 1).gt(0), mean, value).MoveToOuterDisposeScope();
    }

    private static void CheckInputs(Tensor queryKey, Tensor value, Tensor members, Tensor memberValid)
    {
        static string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";
        if (queryKey.dim() != 4 || !queryKey.shape.SequenceEqual(value.shape))
            throw new ArgumentException($"Balanced cluster attention needs query-keys and values of one shape [batch, heads, length, headDim], but got {Shape(queryKey)} and {Shape(value)}.");
        if (members.dim() != 4 || members.dtype != ScalarType.Int64 || !members.shape.SequenceEqual(memberValid.shape)
            || members.shape[0] != queryKey.shape[0] || members.shape[1] != queryKey.shape[1])
            throw new ArgumentException($"Balanced cluster attention needs int64 members and their validity of one shape [batch, heads, clusters, window] = [{queryKey.shape[0]}, {queryKey.shape[1]}, clusters, window], but got {members.dtype} {Shape(members)} and {Shape(memberValid)}.");
        using var scope = NewDisposeScope();
        var outside = members.lt(0).logical_or(members.ge(queryKey.shape[2])).logical_and(memberValid.to(ScalarType.Bool));
        if (outside.any().item<bool>())
            throw new ArgumentException($"Balanced cluster attention: a valid member position lies outside [0, {queryKey.shape[2]}) (the length of the query-keys {Shape(queryKey)}); mark such slots invalid in memberValid.");
    }

    /// <summary>
    /// The paper's balanced clusters: each centroid's <paramref name="window"/> nearest positions by
    /// <paramref name="nearness"/> <c>[batch, heads, length, clusters]</c> (padded positions, false in
    /// <paramref name="valid"/> <c>[batch, length]</c>, chosen last and marked invalid). Returns the members and their validity,
    /// <c>[batch, heads, clusters, window]</c>, window capped at the length.
    /// </summary>
    public static (Tensor Members, Tensor MemberValid) TopTokensPerCentroid(Tensor nearness, Tensor valid, int window)
    {
        using var scope = NewDisposeScope();
        long batch = nearness.shape[0], heads = nearness.shape[1], length = nearness.shape[2];
        var keyValid = valid.to(ScalarType.Bool).view(batch, 1, length, 1);
        var ranked = nearness.masked_fill(keyValid.logical_not(), double.NegativeInfinity).transpose(-2, -1);   // [b, h, c, l]
        var members = ranked.topk((int)Math.Min(window, length), dim: -1).indexes;
        var memberValid = valid.to(ScalarType.Bool).view(batch, 1, 1, length).expand(batch, heads, members.shape[2], length)
            .gather(-1, members);
        return (members.MoveToOuterDisposeScope(), memberValid.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Contiguous blocks of <paramref name="block"/> positions (a bidirectional model's local heads), the last one
    /// partly empty when the length is not a multiple: members and validity <c>[batch, heads, blocks, block]</c>.
    /// </summary>
    public static (Tensor Members, Tensor MemberValid) Blocks(long batch, long heads, long length, int block, Tensor valid)
    {
        using var scope = NewDisposeScope();
        long size = Math.Min(block, length), blocks = (length + size - 1) / size;
        var positions = arange(blocks * size, ScalarType.Int64, valid.device).view(1, 1, blocks, size);
        var inRange = positions.lt(length);
        var members = positions.clamp_max(length - 1).expand(batch, heads, -1, -1);
        var memberValid = inRange.logical_and(valid.to(ScalarType.Bool).view(batch, 1, 1, length).expand(batch, heads, blocks, length)
            .gather(-1, members));
        return (members.contiguous().MoveToOuterDisposeScope(), memberValid.MoveToOuterDisposeScope());
    }
}
