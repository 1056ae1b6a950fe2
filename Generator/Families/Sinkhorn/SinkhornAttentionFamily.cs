using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[SinkhornAttention]</c> (Sparse Sinkhorn attention): the sorting network's projection <c>sort_proj</c> beside the
    /// usual projections; the attend step sorts the blocks with TorchSharp ops (<c>SinkhornSorting</c>: pooling, Gumbel
    /// noise in training, log-domain Sinkhorn balancing, the permutation times the key and value blocks) and attends each
    /// query block to its sorted block and its own on the generated block <c>Kernel</c>; with SortCut, every query attends
    /// to the kept sorted blocks on the generated bidirectional softmax <c>Kernel</c>. A causal model steps token by token
    /// (<c>SinkhornStepState</c>: each block's sorting row computed once, when the block opens, from the earlier blocks).
    /// </summary>
    internal sealed class SinkhornAttentionFamily : AttentionFamily<SinkhornAttentionSpec, SinkhornAttentionAttribute>
    {
        private const string Reference = "global::XformerDsl.Attention.Sinkhorn.SinkhornAttentionReference";
        private const string Settings = "global::XformerDsl.Attention.Sinkhorn.SinkhornSettings";
        private const string BlockAttention = "global::XformerDsl.Attention.Sinkhorn.SinkhornBlockAttention";
        private const string StepStateType = "global::XformerDsl.Attention.Sinkhorn.SinkhornStepState";

        public override SpecRuleSet? Rules => SinkhornAttentionRules.All;

        protected override SinkhornAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            arguments.RequiredInt(nameof(SinkhornAttentionAttribute.Heads), SpecLimits.Heads) is int heads
                ? new SinkhornAttentionSpec(heads,
                    arguments.OptionalInt(nameof(SinkhornAttentionAttribute.Block)) ?? SinkhornAttentionSpec.DefaultBlock,
                    arguments.OptionalInt(nameof(SinkhornAttentionAttribute.Iterations)) ?? SinkhornAttentionSpec.DefaultIterations,
                    arguments.Double(nameof(SinkhornAttentionAttribute.Temperature), SinkhornAttentionSpec.DefaultTemperature),
                    arguments.OptionalInt(nameof(SinkhornAttentionAttribute.SortCut)) ?? 0)
                : null;

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(SinkhornAttentionSpec sinkhorn) => new[]
        {
            Argument(nameof(SinkhornAttentionAttribute.Heads), sinkhorn.Heads), Argument(nameof(SinkhornAttentionAttribute.Block), sinkhorn.Block),
            Argument(nameof(SinkhornAttentionAttribute.Iterations), sinkhorn.Iterations),
            (nameof(SinkhornAttentionAttribute.Temperature), SpecFormat.DoubleLiteral(sinkhorn.Temperature)),
            Argument(nameof(SinkhornAttentionAttribute.SortCut), sinkhorn.SortCut),
        };

        protected override void EmitFields(SourceWriter writer, ModelSpec spec, SinkhornAttentionSpec sinkhorn)
        {
            int headDim = spec.HeadDimOf(sinkhorn);
            writer.WriteLine($"/// <summary>Block, iterations, temperature{(sinkhorn.SortCut > 0 ? ", SortCut" : "")} and causality, as declared.</summary>");
            writer.WriteLine($"private static readonly {Settings} Settings = new(Block: {Int(sinkhorn.Block)}, Iterations: {Int(sinkhorn.Iterations)}, " +
                $"Temperature: {SpecFormat.DoubleLiteral(sinkhorn.Temperature)}, Causal: {SpecFormat.Bool(spec.Causal)}, SortCut: {Int(sinkhorn.SortCut)});");
            writer.WriteLine($"/// <summary>W, <c>[{Int(headDim)}, {Int(headDim)}]</c>, shared by the heads: the sorting logits are (pooled queries · W) · pooled keys / √{Int(headDim)}.</summary>");
            writer.WriteLine($"private readonly {Names.Parameter} sort_proj;");
        }

        protected override void EmitConstruction(SourceWriter writer, ModelSpec spec, SinkhornAttentionSpec sinkhorn) =>
            writer.WriteLine($"sort_proj = new {Names.Parameter}({Names.Torch}.empty(HeadDim, HeadDim));");

        protected override void EmitInitialization(SourceWriter writer, ModelSpec spec, SinkhornAttentionSpec sinkhorn)
        {
            writer.WriteLine("// The identity: sorting starts from the similarity of pooled queries and keys (the sorting signal of");
            writer.WriteLine("// lucidrains' sinkhorn-transformer), which training then reshapes.");
            writer.WriteLine($"{Names.Init}.eye_(sort_proj);");
        }

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, SinkhornAttentionSpec sinkhorn)
        {
            string block = Int(sinkhorn.Block);
            writer.WriteLine($"// Sort: contiguous blocks of {block}, pooled per head; sorting logits through sort_proj, Gumbel noise in training only,");
            writer.WriteLine($"// divided by τ = {SpecFormat.Double(sinkhorn.Temperature)}, {Int(sinkhorn.Iterations)} log-domain Sinkhorn iterations{(spec.Causal ? " (causal balancing: each block takes earlier blocks only)" : "")}; sorted keys and");
            writer.WriteLine("// values are the soft permutation times the key and value blocks (SinkhornSorting, TorchSharp ops).");
            if (sinkhorn.SortCut > 0)
            {
                writer.WriteLine($"// SortCut: every query attends to the rows of the first {Int(sinkhorn.SortCut)} sorted blocks, on the fused {SoftmaxKernelEmitter.ClassName} below");
                writer.WriteLine("// (other devices and dtypes take the reference path).");
                writer.WriteLine($"var attended = {Reference}.Attend(q, k, v, sort_proj, Settings, training, keyPaddingMask,");
                writer.Indented(() => writer.WriteLine($"(query, _, _, sorted, _) => {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(query, sorted.Key, sorted.Value, {Reference}.SortedKeyMask(sorted, Settings)));"));
                return;
            }
            writer.WriteLine($"// Attend: each query block to its sorted block and its own block in one softmax{(spec.Causal ? "; the first block has no sorted block, and later keys of the own block are hidden" : "")},");
            writer.WriteLine($"// on the fused {SinkhornKernelEmitter.ClassName} below, which reads the own keys and values in place (other devices and dtypes take the reference path).");
            writer.WriteLine($"var attended = {BlockAttention}<{SinkhornKernelEmitter.ClassName}>.Attend(q, k, v, sort_proj, Settings, training, keyPaddingMask);");
        }

        /// <summary>A causal layer steps: row i of its causal balancing reads blocks before i only (SortCut is bidirectional only).</summary>
        protected override bool IsRecurrent(ModelSpec spec, SinkhornAttentionSpec sinkhorn) => spec.Causal;

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("causal Sinkhorn attention", "Sinkhorn attention layers",
                "a key-value store that grows with the position, the earlier blocks' pooled keys, the column sums of every Sinkhorn iteration and the current block's queries and sorted block",
                FixedSize: false);

        protected override void EmitStepAttend(SourceWriter writer, ModelSpec spec, SinkhornAttentionSpec sinkhorn)
        {
            writer.WriteLine("// Sort as evaluation does (no Gumbel noise, whatever the mode): a token that opens block i computes row i of the soft");
            writer.WriteLine("// permutation once, from block i − 1's pooled queries, the earlier blocks' pooled keys and the column sums of every");
            writer.WriteLine("// iteration over the rows before, and the block's sorted keys and values; every token attends to its sorted block and");
            writer.WriteLine("// its own block up to itself in one softmax.");
            writer.WriteLine($"var attended = state.Layer(layer, s => new {StepStateType}(s.Batch, Heads, HeadDim, Settings, s.MaxLength, s.Device, s.DType))");
            writer.Indented(() => writer.WriteLine(".Step(q, k, v, sort_proj, state.Positions, state.Active);"));
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, SinkhornAttentionSpec sinkhorn, string owner)
        {
            writer.WriteLine();
            if (sinkhorn.SortCut > 0)
                // Every query attends to SortCut · Block sorted rows, all visible but the empty ones: the bidirectional full-attention kernel.
                SoftmaxKernelEmitter.Emit(writer, spec with { Causal = false }, sinkhorn, new FullSchedule(causal: false), owner);
            else
                SinkhornKernelEmitter.Emit(writer, spec, sinkhorn, owner);
        }
    }
}
