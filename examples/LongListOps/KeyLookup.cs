using XformerDsl.Training;

namespace LongListOpsExample;

/// <summary>
/// Long-range lookup: the first token names a key (one of <see cref="Keys"/>); every other token is a key–value pair
/// (a key and a digit), and the query's key occurs in exactly one of them, anywhere in the sequence. The label is that
/// pair's digit, 10 classes. One lookup decides the answer, so a model can learn it in minutes; it is long-range by
/// construction: the pair is at a uniformly drawn position, and a model whose first token sees only a window of the
/// sequence (the models classify from the first token's vector) can answer only when the pair falls inside it, and
/// otherwise guesses (1 in 10). Full attention sees the pair wherever it is; how well the other families find it is what
/// the table shows.
/// </summary>
internal static class KeyLookup
{
    /// <summary>Distinct keys.</summary>
    public const int Keys = 16;

    /// <summary>The answers, the digits 0–9: the models' classes.</summary>
    public const int Classes = 10;

    /// <summary>Distinct token ids: the pairs <c>key·10 + digit</c> (0–159), then the queries <c>160 + key</c>.</summary>
    public const int VocabularySize = Keys * Classes + Keys;

    /// <summary>
    /// The default lengths: sequences of 257 to 1,023 tokens, long enough that a window of a few hundred tokens around the
    /// first misses the pair most of the time, short enough for every model to learn the lookup within a minute on 2 cores.
    /// </summary>
    public const int DefaultMinLength = 256, DefaultMaxLength = 1024;

    private const int FirstQuery = Keys * Classes;

    /// <summary>
    /// Draws <paramref name="train"/> + <paramref name="validation"/> + <paramref name="test"/> distinct sequences longer
    /// than <paramref name="minLength"/> and shorter than <paramref name="maxLength"/> tokens (uniformly), from
    /// <paramref name="seed"/>.
    /// </summary>
    /// <exception cref="ArgumentException">No length lies strictly between the two, or the shortest would hold no pair.</exception>
    public static LabelledSplits Generate(int minLength, int maxLength, int seed, int train, int validation, int test)
    {
        if (maxLength - minLength < 2 || maxLength < 3)
            throw new ArgumentException($"No sequence of a query and at least one pair is longer than {minLength} and shorter than {maxLength} tokens; raise --max-length.");
        return LabelledSplits.Draw(seed, train, validation, test, random =>
        {
            int length = random.Next(Math.Max(minLength + 1, 2), maxLength);
            int key = random.Next(Keys), digit = random.Next(Classes), at = random.Next(1, length);
            var tokens = new long[length];
            tokens[0] = FirstQuery + key;
            for (int i = 1; i < length; i++)
            {
                int other = random.Next(Keys - 1);   // any key but the query's
                tokens[i] = i == at ? Pair(key, digit) : Pair(other < key ? other : other + 1, random.Next(Classes));
            }
            return new LabelledSequence(tokens, digit);
        });
    }

    /// <summary>
    /// The digit paired with the query's key, found by reading the tokens: an independent check of the labels
    /// <see cref="Generate"/> draws with.
    /// </summary>
    /// <exception cref="FormatException">The first token is not a query, or its key is not in exactly one pair.</exception>
    public static int Evaluate(ReadOnlySpan<long> tokens)
    {
        if (tokens.Length < 2 || tokens[0] is < FirstQuery or >= VocabularySize)
            throw new FormatException("A lookup starts with a query token and holds at least one pair.");
        long key = tokens[0] - FirstQuery;
        int found = -1, count = 0;
        foreach (long token in tokens[1..])
        {
            if (token is < 0 or >= FirstQuery)
                throw new FormatException($"Token {token} is not a key–value pair.");
            if (token / Classes == key)
                (found, count) = ((int)(token % Classes), count + 1);
        }
        return count == 1 ? found : throw new FormatException($"The query's key {key} occurs in {count} pairs, not one.");
    }

    /// <summary>The sequence as text: <c>k7? k3=5 k12=0 …</c>.</summary>
    public static string Text(IEnumerable<long> tokens) =>
        string.Join(' ', tokens.Select(token => token >= FirstQuery ? $"k{token - FirstQuery}?" : $"k{token / Classes}={token % Classes}"));

    private static long Pair(int key, int digit) => key * Classes + digit;
}
