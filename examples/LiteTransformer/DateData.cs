using System.Globalization;
using System.Text;
using XformerDsl.Training;

namespace LiteTransformerExample;

/// <summary>
/// The translation task: an English date in one of eight phrasings ("march 23rd, 1994", "the twenty-third of march
/// nineteen ninety-four", "23.03.1994", …) to its ISO form ("1994-03-23"). Every pair is generated from a seed, so a run
/// is reproducible and nothing is downloaded. Exact match is meaningful: the output is right only if day, month and year
/// all are, and a guess is right about once in 36,525 (the days from 1950 to 2049).
/// </summary>
internal static class DateData
{
    /// <summary>First and last year of the dates.</summary>
    public const int FirstYear = 1950, LastYear = 2049;

    /// <summary>The characters of both sides; id = 3 + index. Ids 0, 1 and 2 are PAD, BOS and EOS.</summary>
    public const string Characters = " ,-./0123456789abcdefghijklmnopqrstuvwxyz";

    /// <summary>The vocabulary size both models are declared with (PAD, BOS, EOS and the characters).</summary>
    public const int VocabularySize = 3 + 41;

    /// <summary>PAD = 0, BOS = 1, EOS = 2.</summary>
    public static SpecialTokens Tokens { get; } = new(Bos: 1, Eos: 2, Pad: 0);

    /// <summary>How many phrasings <see cref="Phrase"/> knows.</summary>
    public const int Phrasings = 8;

    private static readonly string[] Months =
        ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december"];

    private static readonly string[] Ones =
        ["", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
         "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];

    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    private static readonly string[] OrdinalOnes =
        ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
         "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth"];

    /// <summary>The character ids of <paramref name="text"/>.</summary>
    /// <exception cref="ArgumentException">A character outside <see cref="Characters"/>.</exception>
    public static long[] Encode(string text) => text.Select(c =>
    {
        int index = Characters.IndexOf(c);
        return index >= 0 ? 3L + index : throw new ArgumentException($"'{c}' is not in the vocabulary \"{Characters}\".", nameof(text));
    }).ToArray();

    /// <summary>The text of <paramref name="ids"/>; special tokens and unknown ids show as '?'.</summary>
    public static string Decode(IEnumerable<long> ids) =>
        new(ids.Select(id => id >= 3 && id < VocabularySize ? Characters[(int)id - 3] : '?').ToArray());

    /// <summary>The target: <paramref name="date"/> as yyyy-MM-dd.</summary>
    public static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary><paramref name="date"/> in phrasing <paramref name="phrasing"/> (0 to <see cref="Phrasings"/> − 1).</summary>
    public static string Phrase(DateOnly date, int phrasing)
    {
        string month = Months[date.Month - 1], day = date.Day.ToString(CultureInfo.InvariantCulture);
        string year = date.Year.ToString(CultureInfo.InvariantCulture);
        return phrasing switch
        {
            0 => $"{month} {day}{Suffix(date.Day)}, {year}",                                   // march 23rd, 1994
            1 => $"{day} {month} {year}",                                                      // 23 march 1994
            2 => $"{month[..3]} {day}, {year}",                                                // mar 23, 1994
            3 => $"the {day}{Suffix(date.Day)} of {month}, {year}",                            // the 23rd of march, 1994
            4 => $"the {OrdinalWords(date.Day)} of {month} {YearWords(date.Year)}",            // the twenty-third of march nineteen ninety-four
            5 => $"{month} {OrdinalWords(date.Day)}, {YearWords(date.Year)}",                  // march twenty-third, nineteen ninety-four
            6 => $"{date.DayOfWeek.ToString().ToLowerInvariant()}, {month} {day}, {year}",     // wednesday, march 23, 1994
            7 => date.ToString("dd.MM.yyyy", CultureInfo.InvariantCulture),                    // 23.03.1994
            _ => throw new ArgumentOutOfRangeException(nameof(phrasing), phrasing, $"expected 0 to {Phrasings - 1}"),
        };
    }

    /// <summary>1 to 99 in words: "twenty-three".</summary>
    public static string Words(int n) => n < 20 ? Ones[n] : Tens[n / 10] + (n % 10 == 0 ? "" : "-" + Ones[n % 10]);

    /// <summary>1 to 31 as an ordinal in words: "twenty-third", "thirtieth".</summary>
    public static string OrdinalWords(int n) =>
        n < 20 ? OrdinalOnes[n] : n % 10 == 0 ? Tens[n / 10][..^1] + "ieth" : Tens[n / 10] + "-" + OrdinalOnes[n % 10];

    /// <summary>A year as it is said: "nineteen ninety-four", "nineteen oh five", "two thousand", "two thousand seven", "twenty twelve".</summary>
    public static string YearWords(int year)
    {
        int century = year / 100, rest = year % 100;
        if (year >= 2000 && year < 2010)
            return rest == 0 ? "two thousand" : "two thousand " + Ones[rest];
        return Words(century) + " " + (rest == 0 ? "hundred" : rest < 10 ? "oh " + Ones[rest] : Words(rest));
    }

    private static string Suffix(int day) => day is 11 or 12 or 13 ? "th" : (day % 10) switch { 1 => "st", 2 => "nd", 3 => "rd", _ => "th" };

    /// <summary>
    /// Pairs drawn from a seed: the days from <see cref="FirstYear"/> to <see cref="LastYear"/> are shuffled and split, so
    /// the held-out dates (validation and test) never occur in training in any phrasing, and no held-out source sentence is
    /// a training one. Each pair is a date of its split in a random phrasing.
    /// </summary>
    public static DateSplits Generate(int seed, int trainPairs, int validationPairs, int testPairs)
    {
        var random = new Random(seed);
        var first = new DateOnly(FirstYear, 1, 1);
        int days = new DateOnly(LastYear, 12, 31).DayNumber - first.DayNumber + 1;
        var order = Enumerable.Range(0, days).ToArray();
        random.Shuffle(order);
        // A tenth of the days each for validation and test, the rest for training.
        int heldOut = days / 10;
        var validationDays = order.AsSpan(0, heldOut).ToArray();
        var testDays = order.AsSpan(heldOut, heldOut).ToArray();
        var trainDays = order.AsSpan(2 * heldOut).ToArray();

        DatePair[] Draw(int[] pool, int count) => Enumerable.Range(0, count).Select(_ =>
        {
            var date = first.AddDays(pool[random.Next(pool.Length)]);
            return new DatePair(Phrase(date, random.Next(Phrasings)), Iso(date));
        }).ToArray();
        return new DateSplits(Draw(trainDays, trainPairs), Draw(validationDays, validationPairs), Draw(testDays, testPairs));
    }

    /// <summary>The pairs as token ids for the trainer.</summary>
    public static SequencePair[] ToSequencePairs(IEnumerable<DatePair> pairs) =>
        pairs.Select(pair => new SequencePair(Encode(pair.Source), Encode(pair.Target))).ToArray();
}

/// <summary>A source sentence and its ISO date.</summary>
internal sealed record DatePair(string Source, string Target);

/// <summary>Training, validation and test pairs; the three splits' dates are disjoint.</summary>
internal sealed record DateSplits(DatePair[] Train, DatePair[] Validation, DatePair[] Test)
{
    /// <summary>The longest source sentence of any split, in characters.</summary>
    public int LongestSource => Train.Concat(Validation).Concat(Test).Max(pair => pair.Source.Length);
}
