using XformerDsl.Training;

namespace LongClassificationExample;

/// <summary>
/// How ListOps expressions are drawn: the Long Range Arena's generator (Tay et al., 2021,
/// <c>lra_benchmarks/data/listops.py</c>) with its flags. <see cref="Lra"/> holds the published values.
/// </summary>
/// <param name="MinLength">Expressions must be longer than this many tokens (LRA's <c>min_length</c>, exclusive).</param>
/// <param name="MaxLength">Expressions must be shorter than this many tokens (LRA's <c>max_length</c>, exclusive).</param>
/// <param name="MaxDepth">Deepest nesting; the root is depth 1 and a node at this depth is always a digit (<c>max_depth</c>).</param>
/// <param name="MaxArgs">Most arguments of one operator; each draws 2 to this many, uniformly (<c>max_args</c>).</param>
internal sealed record ListOpsShape(int MinLength, int MaxLength, int MaxDepth, int MaxArgs)
{
    /// <summary>The published task: 500 to 2,000 tokens, depth 10, up to 10 arguments.</summary>
    public static ListOpsShape Lra { get; } = new(MinLength: 500, MaxLength: 2000, MaxDepth: 10, MaxArgs: 10);
}

/// <summary>
/// ListOps (Nangia &amp; Bowman, 2018) as the Long Range Arena generates it: nested prefix expressions over the digits
/// 0–9 with the operators MAX, MIN, MED (the median, rounded down) and SM (the sum modulo 10), e.g.
/// <c>[MAX 4 3 [MIN 2 3 ] 1 0 [MED 1 5 8 9 2 ] ]</c> = 5, and the task is the expression's value, 10 classes. LRA's
/// rules, kept here: a node below the deepest level is an operator with probability 1/4 (else a uniformly drawn digit);
/// an operator takes 2 to MaxArgs arguments; only expressions strictly between MinLength and MaxLength tokens are kept,
/// without duplicates. LRA's input pipeline drops the parentheses its text format writes, so the tokens are the digits,
/// the four operators and the closing bracket. The value depends on every digit, and one digit or operator anywhere can
/// change it: a model that sees only a window of the expression cannot know the answer.
/// </summary>
internal static class ListOps
{
    /// <summary>Token ids: the digits are 0–9, then the operators, then the closing bracket.</summary>
    public const int Max = 10, Min = 11, Median = 12, SumModulo = 13, Close = 14;

    /// <summary>Distinct token ids: the models' Vocab.</summary>
    public const int VocabularySize = 15;

    /// <summary>The answers, 0–9: the models' classes.</summary>
    public const int Classes = 10;

    private const double OperatorProbability = 0.25;   // LRA's VALUE_P: a node is a digit when random() > 0.25
    private static readonly int[] Operators = [Min, Max, Median, SumModulo];
    private static readonly string[] Names = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "[MAX", "[MIN", "[MED", "[SM", "]"];

    /// <summary>
    /// Draws <paramref name="train"/> + <paramref name="validation"/> + <paramref name="test"/> distinct expressions of
    /// <paramref name="shape"/> from <paramref name="seed"/> (the same seed gives the same splits) and splits them in that
    /// order, as LRA does.
    /// </summary>
    /// <exception cref="ArgumentException">The shape admits no expression (MaxLength − MinLength &lt; 2), or too few distinct ones were found.</exception>
    public static LabelledSplits Generate(ListOpsShape shape, int seed, int train, int validation, int test)
    {
        if (shape.MaxLength - shape.MinLength < 2 || shape.MaxLength < 2)
            throw new ArgumentException($"No expression is longer than {shape.MinLength} and shorter than {shape.MaxLength} tokens; raise --max-length.", nameof(shape));
        var tokens = new List<long>(shape.MaxLength);
        return LabelledSplits.Draw(seed, train, validation, test, random =>
        {
            tokens.Clear();
            int? value = Draw(random, shape, depth: 1, tokens);
            return value is null || tokens.Count <= shape.MinLength ? null : new LabelledSequence([.. tokens], value.Value);
        });
    }

    /// <summary>The expression as LRA's tokens, separated by spaces: <c>[MAX 4 [SM 2 3 ] ]</c>.</summary>
    public static string Text(IEnumerable<long> tokens) => string.Join(' ', tokens.Select(token => Names[token]));

    /// <summary>
    /// The value of the expression <paramref name="tokens"/> (prefix, each operator closed by <see cref="Close"/>),
    /// computed from the tokens alone: an independent check of the values <see cref="Generate"/> draws with.
    /// </summary>
    /// <exception cref="FormatException">The tokens are not one well-formed expression.</exception>
    public static int Evaluate(ReadOnlySpan<long> tokens)
    {
        var open = new Stack<(long Operator, List<int> Arguments)>();
        int? result = null;
        foreach (long token in tokens)
        {
            if (result is not null)
                throw new FormatException("Tokens follow a complete expression.");
            int value;
            if (token is >= 0 and <= 9)
                value = (int)token;
            else if (token is Max or Min or Median or SumModulo)
            {
                open.Push((token, []));
                continue;
            }
            else if (token == Close && open.Count > 0)
            {
                var (op, arguments) = open.Pop();
                value = Apply(op, arguments);
            }
            else
                throw new FormatException($"Unexpected token {token}.");
            if (open.Count == 0)
                result = value;
            else
                open.Peek().Arguments.Add(value);
        }
        return result ?? throw new FormatException("The expression is incomplete.");
    }

    // LRA's generate_tree: the random draws in its order (node kind, then argument count, the arguments, the operator), the
    // tokens appended to `tokens`; null once the expression reaches MaxLength tokens, which LRA would reject anyway, so no
    // draw ever builds an expression longer than that (a deep MaxDepth could otherwise grow one exponentially).
    private static int? Draw(Random random, ListOpsShape shape, int depth, List<long> tokens)
    {
        if (depth >= shape.MaxDepth || random.NextDouble() > OperatorProbability)
        {
            int digit = random.Next(10);
            tokens.Add(digit);
            return tokens.Count < shape.MaxLength ? digit : null;
        }
        int operatorAt = tokens.Count;
        tokens.Add(Close);   // the operator's place, filled below: LRA draws the operator after its arguments
        int count = random.Next(2, shape.MaxArgs + 1);
        var arguments = new List<int>(count);
        for (int i = 0; i < count; i++)
        {
            if (Draw(random, shape, depth + 1, tokens) is not { } argument)
                return null;
            arguments.Add(argument);
        }
        int op = Operators[random.Next(Operators.Length)];
        tokens[operatorAt] = op;
        tokens.Add(Close);
        return tokens.Count < shape.MaxLength ? Apply(op, arguments) : null;
    }

    private static int Apply(long op, List<int> arguments) => op switch
    {
        Max => arguments.Max(),
        Min => arguments.Min(),
        Median => MedianRoundedDown(arguments),
        SumModulo => arguments.Sum() % 10,
        _ => throw new FormatException($"Unknown operator {op}."),
    };

    // LRA's int(np.median(values)): the middle value, or for an even count the mean of the two middle ones, rounded down.
    private static int MedianRoundedDown(List<int> values)
    {
        var sorted = values.Order().ToArray();
        int middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
