using System.Linq;
using Microsoft.CodeAnalysis;
using XformerDsl.Generator.Model;
using System.Collections.Generic;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[AxialAttention]</c>: half the heads along rows, half along columns of the Rows × Columns grid. Both axes are
    /// block-local attention in some order of the sequence: a row is a contiguous block of Columns positions in the
    /// row-major sequence, a column a contiguous block of Rows positions once the grid is read column by column. So the
    /// family emits two local-attention kernels (<c>RowKernel</c>, <c>ColumnKernel</c>) and reorders the column heads'
    /// inputs around the second; no kernel code of its own.
    /// </summary>
    internal sealed class AxialAttentionFamily : AttentionFamily<AxialAttentionSpec, AxialAttentionAttribute>
    {
        private const string RowKernel = "RowKernel";
        private const string ColumnKernel = "ColumnKernel";
        private const string Grid = "global::XformerDsl.Attention.Axial.AxialGrid";

        private static readonly LocalAttentionFamily s_local = new LocalAttentionFamily();

        public override SpecRuleSet? Rules => PatternRules.All;

        protected override AxialAttentionSpec? ParseSpec(AttributeArguments arguments) =>
            (arguments.RequiredInt(nameof(AxialAttentionAttribute.Heads), SpecLimits.Heads),
             arguments.RequiredInt(nameof(AxialAttentionAttribute.Rows), PatternLimits.Rows),
             arguments.RequiredInt(nameof(AxialAttentionAttribute.Columns), PatternLimits.Columns)) is (int heads, int rows, int columns)
                ? new AxialAttentionSpec(heads, rows, columns)
                : null;

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(AxialAttentionSpec axial) => new[]
        {
            Argument(nameof(AxialAttentionAttribute.Heads), axial.Heads), Argument(nameof(AxialAttentionAttribute.Rows), axial.Rows),
            Argument(nameof(AxialAttentionAttribute.Columns), axial.Columns),
        };

        protected override void EmitFields(SourceWriter writer, ModelSpec spec, AxialAttentionSpec axial)
        {
            writer.WriteLine();
            writer.WriteLine($"// The grid: {Int(axial.Rows)} rows × {Int(axial.Columns)} columns = MaxLength, row-major; heads 0 to {Int(axial.RowHeads - 1)} attend along rows, the rest along columns.");
            writer.WriteLine($"private const int Rows = {Int(axial.Rows)};");
            writer.WriteLine($"private const int Columns = {Int(axial.Columns)};");
            writer.WriteLine($"private const int RowHeads = {Int(axial.RowHeads)};");
            PatternStepEmitter.EmitField(writer, spec, axial);
        }

        /// <summary>A causal axial layer steps from the keys its heads can still read: the current row, and every column's cells so far.</summary>
        protected override bool IsRecurrent(ModelSpec spec, AxialAttentionSpec attention) => spec.Causal;

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            PatternStepEmitter.Growing("axial attention", "Axial attention layers");

        protected override void EmitStepAttend(SourceWriter writer, ModelSpec spec, AxialAttentionSpec attention) => PatternStepEmitter.EmitStepAttend(writer);

        /// <summary>
        /// XF0039: the row and column kernels are local attentions with block layouts of their own (blocks of Columns and
        /// of Rows), bounded as the local family bounds them, and reported as this attribute's.
        /// </summary>
        protected override DiagnosticInfo? GenerationProblem(ModelSpec spec, AxialAttentionSpec axial, LocationInfo? location)
        {
            var problem = s_local.GenerationProblem(spec, new LocalAttentionSpec(axial.Heads, Block: axial.Columns), location)
                ?? s_local.GenerationProblem(spec, new LocalAttentionSpec(axial.Heads, Block: axial.Rows), location);
            return problem is null ? null
                : problem with { MessageArguments = new[] { axial.AttributeName }.Concat(problem.MessageArguments.Skip(1)).ToImmutableEquatableArray() };
        }

        public override IEnumerable<DiagnosticDescriptor> GeneratorDiagnostics => new[] { PatternDiagnostics.LayoutTooLarge };

        protected override bool HasOwnParameters(ModelSpec spec, AxialAttentionSpec attention) => false;

        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, AxialAttentionSpec axial)
        {
            writer.WriteLine($"// Axial attention: softmax(q kᵀ / √{Int(spec.HeadDimOf(axial))}) v with the row heads seeing their row and the column heads their column{(spec.Causal ? ", neither seeing later keys" : "")}; padded keys are hidden.");
            writer.WriteLine("var attended = Attend(q, k, v, keyPaddingMask);");
        }

        protected override void EmitNestedTypes(SourceWriter writer, ModelSpec spec, AxialAttentionSpec axial, string owner)
        {
            EmitAttendMethod(writer);
            var rows = new LocalAttentionSpec(axial.Heads, Block: axial.Columns);
            var columns = new LocalAttentionSpec(axial.Heads, Block: axial.Rows);
            writer.WriteLine();
            writer.WriteLine($"// The row heads' kernel: local attention within blocks of Columns = {Int(axial.Columns)}, the rows of the row-major sequence.");
            SoftmaxKernelEmitter.Emit(writer, spec, rows, s_local.Schedule(spec, rows), owner + " rows", RowKernel);
            writer.WriteLine();
            writer.WriteLine($"// The column heads' kernel: local attention within blocks of Rows = {Int(axial.Rows)}, the columns of the sequence read column-major.");
            SoftmaxKernelEmitter.Emit(writer, spec, columns, s_local.Schedule(spec, columns), owner + " columns", ColumnKernel);
        }

        private static void EmitAttendMethod(SourceWriter writer)
        {
            string fused = Names.FusedAttention, tensor = Names.Tensor;
            writer.WriteLine();
            writer.WriteLine("/// <summary>");
            writer.WriteLine("/// The axial attention of split projections <c>[batch, Heads, seq, HeadDim]</c> (seq up to Rows · Columns) with an optional");
            writer.WriteLine("/// bool <c>[batch, seq]</c> key-padding mask: the first RowHeads heads along rows, the others along columns.");
            writer.WriteLine("/// </summary>");
            writer.WriteLine($"public static {tensor} Attend({tensor} q, {tensor} k, {tensor} v, {tensor}? keyPaddingMask)");
            writer.OpenBlock();
            writer.WriteLine("long batch = q.shape[0], seq = q.shape[2], heads = q.shape[1];");
            writer.WriteLine("// Row heads: a row is a contiguous block of Columns positions, which RowKernel attends within.");
            string RowSlice(string x) => HeadGroupSlices.Narrow(x, "0", "RowHeads");
            string ColumnSlice(string x) => HeadGroupSlices.Narrow(x, "RowHeads", "heads - RowHeads");
            writer.WriteLine($"var rows = {fused}<{RowKernel}>.Apply({RowSlice("q")}, {RowSlice("k")}, {RowSlice("v")}, keyPaddingMask);");
            writer.WriteLine("// Column heads: read the grid column by column (a shorter sequence padded to the whole grid, the padding hidden), so a");
            writer.WriteLine("// column is a contiguous block of Rows positions, which ColumnKernel attends within; then back to row-major order.");
            writer.WriteLine($"var columnMask = {Grid}.ColumnMajorMask(keyPaddingMask, batch, seq, Rows, Columns, q.device);");
            writer.WriteLine($"var columnsByColumn = {fused}<{ColumnKernel}>.Apply(");
            writer.Indented(() =>
            {
                writer.WriteLine($"{Grid}.ToColumnMajor({ColumnSlice("q")}, Rows, Columns),");
                writer.WriteLine($"{Grid}.ToColumnMajor({ColumnSlice("k")}, Rows, Columns),");
                writer.WriteLine($"{Grid}.ToColumnMajor({ColumnSlice("v")}, Rows, Columns),");
                writer.WriteLine("columnMask);");
            });
            writer.WriteLine($"var columns = {Grid}.FromColumnMajor(columnsByColumn, Rows, Columns, seq);");
            writer.WriteLine($"return {HeadGroupSlices.Join(new[] { "rows", "columns" })};");
            writer.CloseBlock();
        }
    }
}
