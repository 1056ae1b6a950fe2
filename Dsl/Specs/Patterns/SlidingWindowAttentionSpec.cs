using System;
using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>Sliding-window attention with dilation and global tokens. See <see cref="SlidingWindowAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Window">Keys in each query's window. See <see cref="SlidingWindowAttentionAttribute.Window"/>.</param>
    /// <param name="Dilation">Distance between the window's keys. See <see cref="SlidingWindowAttentionAttribute.Dilation"/>.</param>
    /// <param name="GlobalTokens">Leading global positions. See <see cref="SlidingWindowAttentionAttribute.GlobalTokens"/>.</param>
    public sealed record SlidingWindowAttentionSpec(int Heads, int Window, int Dilation = 1, int GlobalTokens = 0) : PatternAttentionSpec(Heads)
    {
        /// <inheritdoc/>
        public override string AttributeName => "SlidingWindowAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"sliding-window softmax attention over {SpecFormat.Int(Window)} keys{(Dilation > 1 ? $" dilated by {SpecFormat.Int(Dilation)}" : "")}{(GlobalTokens > 0 ? $" and {SpecFormat.Int(GlobalTokens)} global" : "")}, linear: O(L·{SpecFormat.Int((long)Window + GlobalTokens)}·Dim) time per layer";

        /// <summary>Keys on each side of a bidirectional window: Window / 2, rounded down.</summary>
        public int HalfWindow => Window / 2;

        /// <summary>
        /// Causal: key = query − j·Dilation for j in 0 … Window − 1, or a global key. Bidirectional: |query − key| =
        /// j·Dilation for j in 0 … Window / 2, or a global key, or a global query (which sees every key).
        /// </summary>
        public override bool Sees(int query, int key, bool causal)
        {
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
            long reach = (long)(causal ? Window - 1 : HalfWindow) * Dilation;
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
            if (problems.Count > 0 || !SpecLimits.MaxLength.Contains(model.MaxLength))
                return problems;

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
