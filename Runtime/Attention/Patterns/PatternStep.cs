using XformerDsl.Specs;

namespace XformerDsl.Attention.Patterns;

/// <summary>
/// How a causal pattern layer steps one token at a time, decided from its compile-time pattern alone: the keys the
/// query at each position reads (per run of heads), and which slot of the layer's cache each position's key takes.
/// A key is kept from its position to the last position whose query reads it, and its slot is then free for a later
/// key (slots are handed out first-free, smallest first, which is an optimal colouring of those intervals). So the
/// cache holds exactly what the pattern can still read: a ring of the last window of keys plus the global ones for a
/// sliding window, the query's block and the blocks before it for local attention, and every key still in some later
/// query's stride, summary, random block or column for the sparse, BigBird and axial patterns. Every sequence writes
/// every position in order, so the slot a key takes depends on its position only, and a batch of sequences at different
/// positions shares one plan.
/// </summary>
public sealed class PatternStep
{
    private readonly IReadOnlyList<HeadGroup<Func<int, IEnumerable<int>>>> _keysSeenBy;
    private readonly Lazy<(int[] SlotOf, int Capacity)> _slots;

    private PatternStep(int heads, int maxLength, IReadOnlyList<HeadGroup<Func<int, IEnumerable<int>>>> keysSeenBy)
    {
        Heads = heads;
        MaxLength = maxLength;
        _keysSeenBy = keysSeenBy;
        // Laying out the slots scans the whole pattern once (about MaxLength × keys per query); done on the first step.
        _slots = new Lazy<(int[], int)>(LayOutSlots);
    }

    /// <summary>
    /// The step of a pattern declaration in a model of <paramref name="maxLength"/> tokens: every head with the
    /// declaration's <see cref="PatternAttentionSpec.Sees"/>, or, for a sliding window with a dilation per head, each
    /// run of heads with its own dilation.
    /// </summary>
    public static PatternStep Of(PatternAttentionSpec pattern, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var groups = pattern is SlidingWindowAttentionSpec { Dilations: not null } sliding
            ? sliding.HeadGroups().Select(group => new HeadGroup<Func<int, IEnumerable<int>>>(group.FirstHead, group.Heads, KeysSeenBy(group.Kind))).ToList()
            : new List<HeadGroup<Func<int, IEnumerable<int>>>> { new(0, pattern.Heads, KeysSeenBy(pattern)) };
        return new PatternStep(pattern.Heads, maxLength, groups);
    }

    /// <summary>
    /// The step of axial attention: the row heads read their row up to the query, the column heads the earlier cells of
    /// its column (row-major positions).
    /// </summary>
    public static PatternStep Of(AxialAttentionSpec axial, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(axial);
        int columns = axial.Columns;
        IEnumerable<int> Row(int query) => Enumerable.Range(query - query % columns, query % columns + 1);
        IEnumerable<int> Column(int query)
        {
            for (int key = query % columns; key <= query; key += columns)
                yield return key;
        }
        return new PatternStep(axial.Heads, maxLength, HeadGroups.Split<Func<int, IEnumerable<int>>>((axial.RowHeads, Row), (axial.Heads - axial.RowHeads, Column)));
    }

    /// <summary>Heads of the layer.</summary>
    public int Heads { get; }

    /// <summary>The model's MaxLength: the positions the plan covers.</summary>
    public int MaxLength { get; }

    /// <summary>Slots the layer's cache needs at most: the most keys the pattern can still read at one time.</summary>
    public int Capacity => _slots.Value.Capacity;

    /// <summary>The cache slot of the key at <paramref name="position"/>.</summary>
    public int SlotOf(int position) => _slots.Value.SlotOf[position];

    /// <summary>
    /// Marks, in <paramref name="visible"/> (<c>[heads, capacity]</c> row-major, cleared by the caller), the slots whose
    /// keys the query at <paramref name="position"/> reads.
    /// </summary>
    public void MarkVisible(int position, Span<bool> visible, int capacity)
    {
        var slotOf = _slots.Value.SlotOf;
        foreach (var group in _keysSeenBy)
            foreach (int key in group.Kind(position))
                for (int head = group.FirstHead; head < group.FirstHead + group.Heads; head++)
                    visible[head * capacity + slotOf[key]] = true;
    }

    // The keys a causal query sees: the pattern's ranges around it, filtered by its Sees. One iterator rather than a
    // chain of LINQ operators: every step of every pattern layer walks it for its query's few hundred keys.
    private static Func<int, IEnumerable<int>> KeysSeenBy(PatternAttentionSpec pattern) => query => KeysSeen(pattern, query);

    private static IEnumerable<int> KeysSeen(PatternAttentionSpec pattern, int query)
    {
        foreach (var (start, end) in pattern.KeyRanges(query, query + 1, causal: true))
            for (int key = start; key < end; key++)
                if (pattern.Sees(query, key, causal: true))
                    yield return key;
    }

    private (int[] SlotOf, int Capacity) LayOutSlots()
    {
        // The last query that reads each key (queries in order, so the last write wins); a key nobody reads lives one step.
        var lastReader = new int[MaxLength];
        for (int query = 0; query < MaxLength; query++)
            foreach (var group in _keysSeenBy)
                foreach (int key in group.Kind(query))
                    lastReader[key] = query;
        var slotOf = new int[MaxLength];
        var busy = new PriorityQueue<int, int>();   // slot, by the last query that reads its key
        var free = new PriorityQueue<int, int>();   // slot, smallest first
        int capacity = 0;
        for (int key = 0; key < MaxLength; key++)
        {
            while (busy.TryPeek(out int slot, out int last) && last < key)
            {
                busy.Dequeue();
                free.Enqueue(slot, slot);
            }
            int taken = free.Count > 0 ? free.Dequeue() : capacity++;
            slotOf[key] = taken;
            busy.Enqueue(taken, Math.Max(lastReader[key], key));
        }
        return (slotOf, capacity);
    }
}
