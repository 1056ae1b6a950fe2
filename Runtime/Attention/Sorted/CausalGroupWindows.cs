using static TorchSharp.torch;

namespace XformerDsl.Attention.Sorted;

/// <summary>
/// The causal counterpart of <see cref="SortedChunks"/>, for families that attend within groups of a reordered sequence
/// (LSH's buckets, routing attention's clusters): in each round the positions are sorted by (group, position), and a
/// query attends to the <see cref="Window"/> rows just before it in that order that share its group, which are the
/// <see cref="Window"/> latest earlier positions of its group, and to itself once. Unlike chunks of the sorted sequence,
/// whose boundaries count every position of the lower groups (later ones too), this window depends on earlier positions
/// only, so the output at position t depends on positions up to t alone, and a step can keep the last
/// <see cref="Window"/> keys of every group.
/// <para>
/// A key in a query's window in several rounds is counted once: each of its scores is lowered by the log of the number
/// of rounds whose window holds it, and all rounds share one softmax, which makes the result the softmax over the union
/// of the rounds' windows and the query itself (<see cref="CausalGroupWindowReference"/>, <see cref="CausalGroupWindowAttention"/>).
/// </para>
/// </summary>
public sealed class CausalGroupWindows
{
    private CausalGroupWindows(Tensor groups, Tensor order, Tensor rank, int window)
    {
        Groups = groups;
        Order = order;
        Rank = rank;
        Window = window;
    }

    /// <summary><c>[batch, heads, rounds, length]</c>: each position's group in each round.</summary>
    public Tensor Groups { get; }

    /// <summary><c>[batch, heads, rounds, length]</c>: the position at each sorted index.</summary>
    public Tensor Order { get; }

    /// <summary><c>[batch, heads, rounds, length]</c>: the sorted index of each position.</summary>
    public Tensor Rank { get; }

    /// <summary>Earlier keys of its own group a query attends to in each round.</summary>
    public int Window { get; }

    /// <summary>Rounds of grouping.</summary>
    public int Rounds => (int)Groups.shape[2];

    /// <summary>Positions per round.</summary>
    public int Length => (int)Groups.shape[3];

    /// <summary>
    /// Sorts each round's positions by (group, position): <paramref name="groups"/> is int64
    /// <c>[batch, heads, rounds, length]</c>, each position's group in each round (non-negative).
    /// </summary>
    /// <exception cref="ArgumentException">When the groups are not four-dimensional int64, or the window is below 1.</exception>
    public static CausalGroupWindows Of(Tensor groups, int window)
    {
        if (groups.dim() != 4 || groups.dtype != ScalarType.Int64)
            throw new ArgumentException($"Causal group windows need int64 groups as [batch, heads, rounds, length], but got {groups.dtype} [{string.Join(", ", groups.shape)}].");
        ArgumentOutOfRangeException.ThrowIfLessThan(window, 1);
        var (order, rank) = SortedChunks.Sort(groups);
        return new CausalGroupWindows(groups.contiguous(), order.contiguous(), rank.contiguous(), window);
    }
}
