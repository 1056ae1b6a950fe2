using System;
using System.Collections.Generic;

namespace XformerDsl.Specs
{
    /// <summary>Axial attention over a Rows × Columns grid. See <see cref="AxialAttentionAttribute"/>.</summary>
    /// <param name="Heads">Number of heads, even: half per axis. See <see cref="AttentionAttribute.Heads"/>.</param>
    /// <param name="Rows">Rows of the grid. See <see cref="AxialAttentionAttribute.Rows"/>.</param>
    /// <param name="Columns">Columns of the grid. See <see cref="AxialAttentionAttribute.Columns"/>.</param>
    public sealed record AxialAttentionSpec(int Heads, int Rows, int Columns) : AttentionSpec(Heads)
    {
        /// <inheritdoc/>
        public override string AttributeName => "AxialAttention";

        /// <inheritdoc/>
        public override string Complexity =>
            $"axial softmax attention over a {SpecFormat.Int(Rows)} × {SpecFormat.Int(Columns)} grid, half the heads along rows and half along columns: O(L·{SpecFormat.Int((long)Rows + Columns)}·Dim) time per layer";

        /// <summary>The heads that attend along rows (the first ones); the rest attend along columns.</summary>
        public int RowHeads => Heads / 2;

        /// <summary>The pattern of the row heads: the same row (and, causal, not a later column).</summary>
        public bool RowSees(int query, int key, bool causal) => (!causal || key <= query) && query / Columns == key / Columns;

        /// <summary>The pattern of the column heads: the same column (and, causal, not a later row).</summary>
        public bool ColumnSees(int query, int key, bool causal) => (!causal || key <= query) && query % Columns == key % Columns;

        /// <summary>The pattern of head <paramref name="head"/>.</summary>
        public bool Sees(int head, int query, int key, bool causal) =>
            head < RowHeads ? RowSees(query, key, causal) : ColumnSees(query, key, causal);

        /// <summary>
        /// Scores and weighted values each cost Dim / Heads MACs per visible key and head: a row head sees Columns keys,
        /// a column head Rows (half of each on average when causal).
        /// </summary>
        public override long MixingMacsPerToken(int dim, int length, bool causal)
        {
            long keys = (long)RowHeads * Columns + (long)(Heads - RowHeads) * Rows;   // summed over heads
            long macs = 2L * (dim / Math.Max(1, Heads)) * keys;
            return causal ? macs / 2 : macs;
        }

        // The even head count nearest to heads that divides dim (2 when none is nearer).
        private static int NearestEvenDivisor(int dim, int heads)
        {
            for (int step = 1; step <= heads + 2; step += 2)
                foreach (int candidate in new[] { heads - step, heads + step })
                    if (candidate >= 2 && dim > 0 && dim % candidate == 0)
                        return candidate;
            return 2;
        }

        /// <inheritdoc/>
        public override IEnumerable<SpecProblem> Problems(ModelSpec model, int index)
        {
            var problems = new List<SpecProblem>();
            void Add(SpecProblem? problem) { if (problem is not null) problems.Add(problem); }
            Add(PatternLimits.Check(PatternLimits.Rows, Rows, index));
            Add(PatternLimits.Check(PatternLimits.Columns, Columns, index));
            if (Heads % 2 != 0 && SpecLimits.Heads.Contains(Heads))
                problems.Add(Problem(PatternRules.AxialHeadsOdd, "Heads", SpecFormat.Int(Heads), SpecFormat.Int(NearestEvenDivisor(model.Dim, Heads))));
            if (problems.Count > 0 || !SpecLimits.MaxLength.Contains(model.MaxLength))
                return problems;
            if ((long)Rows * Columns != model.MaxLength)
                problems.Add(Problem(PatternRules.AxialGridMismatch, "Rows",
                    SpecFormat.Int(Rows), SpecFormat.Int(Columns), SpecFormat.Int((long)Rows * Columns), SpecFormat.Int(model.MaxLength),
                    model.MaxLength % Columns == 0 ? $"Rows = {SpecFormat.Int(model.MaxLength / Columns)}" : $"MaxLength = {SpecFormat.Int((long)Rows * Columns)}"));
            return problems;

            SpecProblem Problem(SpecRule rule, string argument, params string[] values) =>
                new SpecProblem(rule, AttributeName, argument, ImmutableEquatableArray.Create(values), index);
        }
    }
}
