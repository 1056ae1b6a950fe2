using XformerDsl.Training;

namespace LongClassificationExample;

/// <summary>A task's three splits, drawn from one seed; no sequence occurs twice in or across them.</summary>
internal sealed record LabelledSplits(LabelledSequence[] Train, LabelledSequence[] Validation, LabelledSequence[] Test)
{
    /// <summary>
    /// Calls <paramref name="draw"/> with one generator seeded by <paramref name="seed"/> until it has returned
    /// <paramref name="train"/> + <paramref name="validation"/> + <paramref name="test"/> distinct sequences (null is a
    /// rejected draw), and splits them in that order.
    /// </summary>
    /// <exception cref="ArgumentException">Too few distinct sequences came out of a generous number of draws; the message says how many.</exception>
    public static LabelledSplits Draw(int seed, int train, int validation, int test, Func<Random, LabelledSequence?> draw)
    {
        var random = new Random(seed);
        int wanted = train + validation + test;
        var seen = new HashSet<string>();
        var examples = new List<LabelledSequence>(wanted);
        // Rejections can be most draws (LRA's ListOps keeps about one expression in ten), so the bound is generous; a task
        // that still finds too few distinct sequences is reported instead of looping forever.
        long attempts = 0, attemptLimit = 1_000L * wanted + 1_000_000;
        while (examples.Count < wanted)
        {
            if (++attempts > attemptLimit)
                throw new ArgumentException(
                    $"Found only {examples.Count:N0} distinct sequences of the {wanted:N0} asked for in {attemptLimit:N0} draws; widen the lengths or ask for fewer examples.");
            if (draw(random) is { } example && seen.Add(string.Join(',', example.Tokens)))
                examples.Add(example);
        }
        return new LabelledSplits([.. examples.Take(train)], [.. examples.Skip(train).Take(validation)], [.. examples.Skip(train + validation)]);
    }
}
