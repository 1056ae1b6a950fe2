using XformerDsl.Training;

namespace LongClassificationExample;

/// <summary>
/// The commonest digit of a long sequence: the first token is a <c>[CLS]</c>, the others are uniformly drawn digits
/// except in one stretch of 128 tokens, placed anywhere, where half of them are one favoured digit; the label is the
/// digit that occurs most often in the whole sequence (sequences with a tie are not drawn), 10 classes. The models
/// classify from the first token's vector, so the stretch's excess must reach the first token from wherever it lies: a
/// model whose first token sees a window of a few hundred tokens finds it only when the stretch overlaps that window,
/// and otherwise has uniform digits to go on. Full attention starts out near uniform, so the first token begins with
/// the whole sequence's counts in view and learns this in about a hundred steps. (In that time ListOps teaches every
/// model only cues near its first token, so full and local attention score alike there.)
/// </summary>
internal static class Majority
{
    /// <summary>The answers, the digits 0–9: the models' classes.</summary>
    public const int Classes = 10;

    /// <summary>Distinct token ids: the digits 0–9, then <c>[CLS]</c>.</summary>
    public const int VocabularySize = Classes + 1;

    /// <summary>
    /// The default lengths: sequences of 129 to 511 tokens, long enough that the two hundred or so tokens a local window
    /// lets the first token see usually miss the stretch, short enough for all nine models to learn within a few
    /// minutes on 2 cores (at 257–1,023 tokens and batches of 32 the run took 14).
    /// </summary>
    public const int DefaultMinLength = 128, DefaultMaxLength = 512;

    // Outside one stretch of StretchLength tokens the digits are uniform; inside it each is the favoured digit with probability
    // Bias (else uniform), about 70 extra occurrences: a clear majority over a whole sequence of up to 1,023 digits
    // (each digit occurs about 100 ± 10 times there; 50 ± 7 at the default 511), and none at all in a part that misses
    // the stretch.
    private const double Bias = 0.5;

    /// <summary>Tokens in the stretch where the commonest digit's excess lies.</summary>
    public const int StretchLength = 128;
    private const int Cls = Classes;

    /// <summary>
    /// Draws <paramref name="train"/> + <paramref name="validation"/> + <paramref name="test"/> distinct sequences longer
    /// than <paramref name="minLength"/> and shorter than <paramref name="maxLength"/> tokens (uniformly), from
    /// <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No length lies strictly between the two, or the shortest would hold no digit.</exception>
    public static LabelledSplits Generate(int minLength, int maxLength, int seed, int train, int validation, int test)
    {
        if (maxLength - minLength < 2 || maxLength < 3)
            throw new ArgumentException($"No sequence of a [CLS] and at least one digit is longer than {minLength} and shorter than {maxLength} tokens; raise --max-length.");
        return LabelledSplits.Draw(seed, train, validation, test, random =>
        {
            int length = random.Next(Math.Max(minLength + 1, 2), maxLength), favoured = random.Next(Classes);
            int spanStart = random.Next(1, Math.Max(2, length - StretchLength + 1));
            var tokens = new long[length];
            tokens[0] = Cls;
            for (int i = 1; i < length; i++)
                tokens[i] = i >= spanStart && i < spanStart + StretchLength && random.NextDouble() < Bias ? favoured : random.Next(Classes);
            return Commonest(tokens) is { } label ? new LabelledSequence(tokens, label) : null;
        });
    }

    /// <summary>The commonest digit, counted from the tokens: an independent check of the labels <see cref="Generate"/> keeps.</summary>
    /// <exception cref="FormatException">The first token is not <c>[CLS]</c>, a later one is not a digit, or two digits tie.</exception>
    public static int Evaluate(ReadOnlySpan<long> tokens)
    {
        if (tokens.Length < 2 || tokens[0] != Cls)
            throw new FormatException("A sequence starts with [CLS] and holds at least one digit.");
        foreach (long token in tokens[1..])
            if (token is < 0 or >= Classes)
                throw new FormatException($"Token {token} is not a digit.");
        return Commonest(tokens) ?? throw new FormatException("Two digits are equally common.");
    }

    /// <summary>The sequence as text: <c>[CLS] 3 1 4 1 5 9 …</c>.</summary>
    public static string Text(IEnumerable<long> tokens) => string.Join(' ', tokens.Select(token => token == Cls ? "[CLS]" : $"{token}"));

    // The digit that occurs most often after the [CLS], or null when two tie.
    private static int? Commonest(ReadOnlySpan<long> tokens)
    {
        Span<int> counts = stackalloc int[Classes];
        foreach (long token in tokens[1..])
            counts[(int)token]++;
        int best = 0;
        for (int digit = 1; digit < Classes; digit++)
            if (counts[digit] > counts[best])
                best = digit;
        for (int digit = 0; digit < Classes; digit++)
            if (digit != best && counts[digit] == counts[best])
                return null;
        return best;
    }
}
