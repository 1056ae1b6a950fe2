using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Diagnostics;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// A pattern family: a softmax family whose schedule is a <see cref="BlockLayoutSchedule"/> built from the
    /// declaration's pattern. A family states its pattern twice, on purpose: as <see cref="PatternAttentionSpec.Sees"/>
    /// (the layout and the run-time reference) and as the emitted <c>Pattern.Sees</c> statements here (the element masks
    /// of the kernel), so the kernel tests compare two independent computations.
    /// </summary>
    internal abstract class PatternAttentionFamily<TSpec, TAttribute> : SoftmaxAttentionFamily<TSpec, TAttribute>
        where TSpec : PatternAttentionSpec
        where TAttribute : AttentionAttribute
    {
        public override SpecRuleSet? Rules => PatternRules.All;

        public override IEnumerable<DiagnosticDescriptor> GeneratorDiagnostics => new[] { PatternDiagnostics.LayoutTooLarge };

        /// <summary>
        /// XF0039: the block layout is computed and written out at compile time; refuse one so large that computing it
        /// would stall the compiler or whose arrays would bloat the generated file, from a bounded measure of the
        /// work (<see cref="BlockLayout.Measure"/>), before anything computes it.
        /// </summary>
        protected sealed override DiagnosticInfo? GenerationProblem(ModelSpec spec, TSpec attention, LocationInfo? location)
        {
            var tiling = SoftmaxTiling.For(spec, attention);
            // What the family writes and prepares besides the layout is known from the spec alone: checked first.
            long entries = ExtraEmittedEntries(spec, attention);
            long pairs = 0, steps = SetupSteps(spec, attention);
            foreach (var pattern in entries > BlockLayout.MaxPairs || steps > BlockLayout.MaxSteps ? Enumerable.Empty<PatternAttentionSpec>() : LaidOutPatterns(attention))
            {
                var (patternPairs, patternSteps) = BlockLayout.Measure(pattern, spec.Causal, spec.MaxLength, tiling.QueryTile, tiling.KeyTile,
                    StepsPerKeyRanges(spec, attention), StepsPerSees(spec, attention));
                pairs += patternPairs;
                steps += patternSteps;
                if (pairs > BlockLayout.MaxPairs || steps > BlockLayout.MaxSteps)
                    break;
            }
            if (pairs > BlockLayout.MaxPairs || entries > BlockLayout.MaxPairs)
                return DiagnosticInfo.Create(PatternDiagnostics.LayoutTooLarge, location,
                    attention.AttributeName, SpecFormat.Int(spec.MaxLength),
                    pairs > BlockLayout.MaxPairs ? $"visits {SpecFormat.Int(pairs)} or more pairs of query and key tiles" : $"writes {SpecFormat.Int(entries)} entries of its random layout",
                    $"the {SpecFormat.Int(BlockLayout.MaxPairs)} the generator writes into one kernel");
            if (steps > BlockLayout.MaxSteps)
                return DiagnosticInfo.Create(PatternDiagnostics.LayoutTooLarge, location,
                    attention.AttributeName, SpecFormat.Int(spec.MaxLength),
                    $"needs {SpecFormat.Int(steps)} or more steps to lay out",
                    $"the {SpecFormat.Int(BlockLayout.MaxSteps)} the generator spends on one kernel");
            return null;
        }

        /// <summary>A causal pattern steps from a cache of the keys it can still read (<see cref="PatternStepEmitter"/>).</summary>
        protected override bool IsRecurrent(ModelSpec spec, TSpec attention) => spec.Causal;

        protected override void EmitFields(SourceWriter writer, ModelSpec spec, TSpec attention) => PatternStepEmitter.EmitField(writer, spec, attention);

        protected override void EmitStepAttend(SourceWriter writer, ModelSpec spec, TSpec attention) => PatternStepEmitter.EmitStepAttend(writer);

        /// <summary>
        /// An upper bound of the steps one <see cref="PatternAttentionSpec.KeyRanges"/> call takes besides the ranges it
        /// yields (which <see cref="BlockLayout.Measure"/> counts itself); 1 unless the family's ranges search.
        /// </summary>
        protected virtual long StepsPerKeyRanges(ModelSpec spec, TSpec attention) => 1;

        /// <summary>An upper bound of the steps one <see cref="PatternAttentionSpec.Sees"/> test takes; 1 unless it searches.</summary>
        protected virtual long StepsPerSees(ModelSpec spec, TSpec attention) => 1;

        /// <summary>Steps the family's pattern takes once before its first range or test (e.g. drawing a random layout); none by default.</summary>
        protected virtual long SetupSteps(ModelSpec spec, TSpec attention) => 0;

        /// <summary>Constant-array entries the family's <see cref="PatternMembers"/> write besides the layout; none by default.</summary>
        protected virtual long ExtraEmittedEntries(ModelSpec spec, TSpec attention) => 0;

        /// <summary>The distinct patterns the declaration's kernels lay out: the declaration itself unless its heads differ.</summary>
        protected virtual IEnumerable<PatternAttentionSpec> LaidOutPatterns(TSpec attention) => new[] { attention };

        public sealed override SoftmaxSchedule Schedule(ModelSpec spec, TSpec attention) =>
            new BlockLayoutSchedule(spec, attention, Description(spec, attention), SeesStatements(spec, attention), PatternMembers(spec, attention));

        /// <summary>Members of the emitted <c>Pattern</c> struct that its Sees statements use; none by default.</summary>
        protected virtual IReadOnlyList<string> PatternMembers(ModelSpec spec, TSpec pattern) => System.Array.Empty<string>();

        protected sealed override string Explanation(ModelSpec spec, TSpec attention) =>
            $"Attend: softmax(q kᵀ / √{SpecFormat.Int(spec.HeadDimOf(attention))}) v over {Description(spec, attention)}; padded keys are hidden.";

        /// <summary>One phrase, e.g. <c>causal sliding-window attention over 256 keys</c>.</summary>
        protected abstract string Description(ModelSpec spec, TSpec pattern);

        /// <summary>The body of <c>static bool Sees(int query, int key)</c>.</summary>
        protected abstract IReadOnlyList<string> SeesStatements(ModelSpec spec, TSpec pattern);

        // The first statements of Sees: in a causal model no query sees a later key.
        protected static List<string> CausalCheck(ModelSpec spec) =>
            spec.Causal ? new List<string> { "// Causal: no later key.", "if (key > query)", "    return false;" } : new List<string>();
    }
}
