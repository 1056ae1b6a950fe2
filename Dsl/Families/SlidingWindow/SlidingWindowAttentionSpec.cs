using System;
using System.Collections.Generic;
using System.Linq;

namespace XformerDsl.Specs
{
    /// <summary>Sliding-window attention with dilation and global tokens. See <see cref="SlidingWindowAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Window">Keys in each query's window. See <see cref="SlidingWindowAttentionAttribute.Window"/>.</param>
    /// <param name="Dilation">Distance between the window's keys. See <see cref="SlidingWindowAttentionAttribute.Dilation"/>.</param>
    /// <param name="GlobalTokens">Leading global positions. See <see cref="SlidingWindowAttentionAttribute.GlobalTokens"/>.</param>
    /// <param name="Dilations">Null, or one dilation per head. See <see cref="SlidingWindowAttentionAttribute.Dilations"/>.</param>
    public sealed record SlidingWindowAttentionSpec(int Heads, int Window, int Dilation = 1, int GlobalTokens = 0,
        ImmutableEquatableArray<int>? Dilations = null) : PatternAttentionSpec(Heads)
    {
        /// <summary>The dilation of head <paramref name="head"/>.</summary>
        public int DilationOf(int head) => Dilations is { } perHead ? perHead[head] : Dilation;

        /// <summary>
        /// The heads as runs of consecutive heads with one dilation, each with the single-dilation pattern it attends
        /// with: one run covering every head unless <see cref="Dilations"/> is set. The generated layer runs one kernel
        /// per run, and the reference one dense mask per run.
        /// </summary>
        public IReadOnlyList<HeadGroup<SlidingWindowAttentionSpec>> HeadGroups() =>
            Dilations is null
                ? new[] { new HeadGroup<SlidingWindowAttentionSpec>(0, Heads, this) }
                : Specs.HeadGroups.Runs(Dilations.Select(dilation => this with { Dilation = dilation, Dilations = null }).ToList());

        /// <summary>The widest dilation of any head: what the layer's reach is.</summary>
        public int WidestDilation => Dilations is { Count: > 0 } perHead ? perHead.Max() : Dilation;
        /// <inheritdoc/>
        public override string AttributeName => "SlidingWindowAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"sliding-window softmax attention over {SpecFormat.Int(Window)} keys{DilationPhrase}{(GlobalTokens > 0 ? $" and {SpecFormat.Int(GlobalTokens)} global" : "")}, linear: O(L·{SpecFormat.Int((long)Window + GlobalTokens)}·Dim) time per layer";

        /// <summary>" dilated by d", " dilated by 1, 1, 2, 4 per head", or nothing for contiguous windows.</summary>
        public string DilationPhrase =>
            Dilations is { } perHead ? $" dilated by {string.Join(", ", perHead.Select(d => SpecFormat.Int(d)))} per head"
            : Dilation > 1 ? $" dilated by {SpecFormat.Int(Dilation)}" : "";

        /// <summary>Keys on each side of a bidirectional window: Window / 2, rounded down.</summary>
        public int HalfWindow => Window / 2;

        /// <summary>
        /// Causal: key = query − j·Dilation for j in 0 … Window − 1, or a global key. Bidirectional: |query − key| =
        /// j·Dilation for j in 0 … Window / 2, or a global key, or a global query (which sees every key). With
        /// <see cref="Dilations"/>, what any head sees (each head's own pattern is its group's, see <see cref="HeadGroups"/>).
        /// </summary>
        public override bool Sees(int query, int key, bool causal)
        {
            if (Dilations is not null)
                return HeadGroups().Any(group => group.Kind.Sees(query, key, causal));
            if (causal && key > query)
                return false;
            if (key < GlobalTokens || (!causal && query < GlobalTokens))
                return true;
            long distance = Math.Abs((long)query - key);
            long reach = (long)(causal ? Window - 1 : HalfWindow) * Dilation;
            return distance <= reach && distance % Dilation == 0;
        }

        /// <inheritdoc/>
        public override IEnumerable<(int Start, int End)> KeyRanges(int query, int length, bool causal)
        {
            if (!causal && query < GlobalTokens)
            {
                yield return (0, length);
                yield break;
            }
            if (GlobalTokens > 0)
                yield return Clip(0, GlobalTokens, length);
            long reach = (long)(causal ? Window - 1 : HalfWindow) * WidestDilation;
            yield return Clip(query - reach, causal ? query + 1L : query + reach + 1, length);
        }

        /// <summary>
        /// Scores and weighted values each cost Dim MACs per visible key: Window keys (2·(Window / 2) + 1 when
        /// bidirectional) plus the global keys, ignoring the edges of the sequence and the global queries' extra keys.
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal) =>
            2L * dim * ((causal ? Window : 2L * HalfWindow + 1) + GlobalTokens);

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            var problems = new List<SpecProblem>();
            void Add(SpecProblem? problem) { if (problem is not null) problems.Add(problem); }
            Add(PatternLimits.Check(PatternLimits.Window, Window, index));
            Add(PatternLimits.Check(PatternLimits.Dilation, Dilation, index));
            Add(PatternLimits.Check(PatternLimits.GlobalTokens, GlobalTokens, index));
            if (Dilations is { } perHead)
            {
                if (Dilation != 1)
                    problems.Add(Problem(PatternRules.DilationAndDilations, "Dilations", SpecFormat.Int(Dilation)));
                if (perHead.Count != Heads)
                    problems.Add(Problem(PatternRules.DilationsPerHead, "Dilations", SpecFormat.Int(perHead.Count), SpecFormat.Int(Heads)));
                foreach (int dilation in perHead.Distinct())
                {
                    var outOfRange = PatternLimits.Check(PatternLimits.Dilation, dilation, index);
                    if (outOfRange is not null)
                        problems.Add(outOfRange with { Argument = "Dilations", MessageArguments = ImmutableEquatableArray.Create("Dilations", SpecFormat.Int(dilation), SpecFormat.Int(PatternLimits.Dilation.Min), SpecFormat.Int(PatternLimits.Dilation.Max), SpecFormat.Int(PatternLimits.Dilation.Example)) });
                }
            }
            if (problems.Count > 0 || !SpecLimits.MaxLength.Contains(model.MaxLength))
                return problems;
            if (Dilations is not null)
            {
                // Each head's pattern is checked as if declared alone, at the Dilations argument.
                foreach (var group in HeadGroups().GroupBy(g => g.Kind.Dilation).Select(g => g.First()))
                    problems.AddRange(group.Kind.Problems(model, index).Select(problem => problem.Argument == "Dilation"
                        ? problem with { Argument = "Dilations", MessageArguments = ImmutableEquatableArray.Create(new[] { "Dilations" }.Concat(problem.MessageArguments.Skip(1)).ToArray()) }
                        : problem));
                return problems.Distinct().ToList();
            }

            int length = model.MaxLength;
            bool causal = model.Causal;
            // The positions one window spans, from its first key to its last.
            long span = causal ? (Window - 1L) * Dilation + 1 : 2L * HalfWindow * Dilation + 1;
            if (span > length)
            {
                if (Dilation > 1)
                {
                    long largest = causal ? (Window > 1 ? (length - 1L) / (Window - 1) : length) : (HalfWindow > 0 ? (length - 1L) / (2L * HalfWindow) : length);
                    problems.Add(Problem(PatternRules.PatternExceedsSequence, "Dilation",
                        "Dilation", SpecFormat.Int(Dilation), $"{SpecFormat.Int(span)} positions (window {SpecFormat.Int(Window)}, dilation {SpecFormat.Int(Dilation)})",
                        SpecFormat.Int(length), SpecFormat.Int(Math.Max(1, largest))));
                }
                else
                {
                    long largest = causal ? length : 2L * ((length - 1L) / 2) + 1;
                    problems.Add(Problem(PatternRules.PatternExceedsSequence, "Window",
                        "Window", SpecFormat.Int(Window), SpecFormat.Int(span) + " positions", SpecFormat.Int(length), SpecFormat.Int(largest)));
                }
            }
            if (GlobalTokens >= length)
                problems.Add(Problem(PatternRules.GlobalTokensCoverSequence, "GlobalTokens",
                    "GlobalTokens", SpecFormat.Int(GlobalTokens), SpecFormat.Int(GlobalTokens) + " positions", SpecFormat.Int(length), SpecFormat.Int(Math.Min(length - 1, Math.Max(1, Math.Min(16, length / 64))))));
            return problems;

            SpecProblem Problem(SpecRule rule, string argument, params string[] values) =>
                new SpecProblem(rule, AttributeName, argument, ImmutableEquatableArray.Create(values), index);
        }
    }
}
