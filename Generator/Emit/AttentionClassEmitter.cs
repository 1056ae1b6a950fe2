using System;
using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Emit.Frame;
using XformerDsl.Generator.Families;
using XformerDsl.Generator.Model;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit
{
    /// <summary>
    /// The attention modules of the blocks: with one attention declaration, the class <c>SelfAttention</c>; with
    /// several (layers mixing families), an abstract <c>SelfAttention</c> and one sealed subclass per declaration,
    /// named after its attribute (<c>FullAttentionLayer</c>, …), with <c>AttentionOfLayer</c> choosing each layer's.
    /// Each class holds its projections, its forward pass, and the fused kernel of its family as a nested <c>Kernel</c>.
    /// </summary>
    internal static class AttentionClassEmitter
    {
        public const string BaseClassName = "SelfAttention";

        /// <summary>The class of each declaration of <see cref="ModelSpec.Attention"/>, in order; repeats of a family are numbered.</summary>
        public static IReadOnlyList<string> ClassNames(ModelSpec spec)
        {
            if (spec.Attention.Count == 1)
                return new[] { BaseClassName };
            var names = new List<string>();
            for (int i = 0; i < spec.Attention.Count; i++)
            {
                var family = AttentionFamilies.Of(spec.Attention[i].Attention);
                int sameFamily = spec.Attention.Count(d => d.Attention.AttributeName == family.AttributeName);
                int ordinal = spec.Attention.Take(i + 1).Count(d => d.Attention.AttributeName == family.AttributeName);
                names.Add(family.LayerClassName + (sameFamily > 1 ? ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture) : ""));
            }
            return names;
        }

        /// <summary>The expression that creates layer <c>i</c>'s attention in the model's constructor.</summary>
        public static string CreateExpression(ModelSpec spec) =>
            spec.Attention.Count == 1 ? $"new {BaseClassName}({ConstructorArguments(spec, 0, "i")})" : "AttentionOfLayer(i)";

        /// <summary>
        /// The parameters the model owns for its attention layers (<see cref="AttentionFamily.ModelParameter"/>), each
        /// once, in declaration order.
        /// </summary>
        public static IReadOnlyList<ModelOwnedParameter> ModelParameters(ModelSpec spec) =>
            spec.Attention.Select(d => AttentionFamilies.Of(d.Attention).ModelParameter(spec, d.Attention))
                .OfType<ModelOwnedParameter>()
                .GroupBy(parameter => parameter.Field)
                .Select(group => group.First())
                .ToList();

        // The arguments of declaration `index`'s constructor: the layer's number if its family takes it, then a reader of
        // the model-owned parameter it uses.
        private static string ConstructorArguments(ModelSpec spec, int index, string layer)
        {
            var attention = spec.Attention[index].Attention;
            var family = AttentionFamilies.Of(attention);
            var arguments = new List<string>();
            if (family.TakesLayer)
                arguments.Add(layer);
            if (family.ModelParameter(spec, attention) is { } shared)
                arguments.Add($"() => {shared.Field}");
            return string.Join(", ", arguments);
        }

        /// <summary>With several declarations, <c>AttentionOfLayer</c>: a switch from layer number to attention class.</summary>
        public static void EmitLayerChoice(SourceWriter writer, ModelSpec spec)
        {
            if (spec.Attention.Count == 1)
                return;
            var names = ClassNames(spec);
            var attentionOfLayer = spec.AttentionIndexOfLayers();
            int remaining = Enumerable.Range(0, spec.Attention.Count).FirstOrDefault(i => spec.Attention[i].Layers.IsRemaining);
            bool hasRemaining = spec.Attention[remaining].Layers.IsRemaining;
            writer.WriteLine();
            writer.WriteLine("/// <summary>The attention of layer <paramref name=\"layer\"/>, as the declaration assigns them.</summary>");
            // An instance method when a layer reads a parameter the model owns.
            string modifier = ModelParameters(spec).Count > 0 ? "private" : "private static";
            writer.WriteLine($"{modifier} {BaseClassName} AttentionOfLayer(int layer) => layer switch");
            writer.OpenBlock();
            for (int i = 0; i < spec.Attention.Count; i++)
            {
                if (hasRemaining && i == remaining)
                    continue;
                var layers = Enumerable.Range(0, spec.Depth).Where(layer => attentionOfLayer[layer] == i).Select(layer => SpecFormat.Int(layer));
                writer.WriteLine($"{string.Join(" or ", layers)} => new {names[i]}({ConstructorArguments(spec, i, "layer")}),");
            }
            writer.WriteLine(hasRemaining
                ? $"_ => new {names[remaining]}({ConstructorArguments(spec, remaining, "layer")}),"
                : "_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer)),");
            writer.CloseBlock(";");
        }

        public static void Emit(SourceWriter writer, ModelToGenerate model)
        {
            var spec = model.Spec;
            var names = ClassNames(spec);
            if (spec.Attention.Count == 1)
            {
                EmitLayerClass(writer, model, 0, names[0], isOverride: false);
                return;
            }
            EmitBaseClass(writer, spec);
            for (int i = 0; i < spec.Attention.Count; i++)
            {
                writer.WriteLine();
                EmitLayerClass(writer, model, i, names[i], isOverride: true);
            }
        }

        private static void EmitBaseClass(SourceWriter writer, ModelSpec spec)
        {
            bool rotary = spec.Positions.Kind == PositionEncoding.Rotary;
            writer.WriteLine($"/// <summary>The attention of a block. This model's layers mix attention families; each subclass is one declaration.</summary>");
            writer.WriteLine($"public abstract class {BaseClassName} : {Names.ModuleBase}");
            writer.OpenBlock();
            writer.WriteLine($"private protected {BaseClassName}(string name) : base(name)");
            writer.OpenBlock();
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps <c>[batch, seq, {Int(spec.Dim)}]</c> to <c>[batch, seq, {Int(spec.Dim)}]</c>.</summary>");
            EmitForwardParameterDocs(writer, rotary);
            writer.WriteLine($"public abstract {Names.Tensor} forward({ForwardParameters(rotary)});");
            writer.WriteLine();
            writer.WriteLine("internal abstract void InitializeWeights();");
            writer.CloseBlock();
        }

        private static void EmitLayerClass(SourceWriter writer, ModelToGenerate model, int index, string name, bool isOverride)
        {
            var spec = model.Spec;
            var attention = spec.Attention[index].Attention;
            var family = AttentionFamilies.Of(attention);
            if (family.EmitsWholeClass)
            {
                family.EmitClass(writer, spec, index, name, isOverride, RecurrentEmitter.IsRecurrent(spec));
                return;
            }
            var projections = family.InputProjectionsOf(attention).Concat(new[] { OutputProjection }).ToList();
            int headDim = spec.HeadDimOf(attention);
            bool rotary = spec.Positions.Kind == PositionEncoding.Rotary;
            string where = isOverride ? $" Used by {LayersPhrase(spec, index)}." : "";
            writer.WriteLine($"/// <summary>Multi-head {attention.Complexity}; {Int(attention.Heads)} head{(attention.Heads == 1 ? "" : "s")} of size {Int(headDim)}, {(spec.Causal ? "causal" : "bidirectional")}.{where}</summary>");
            bool recurrent = RecurrentEmitter.IsRecurrent(spec);
            writer.WriteLine($"public sealed class {name} : {(isOverride ? BaseClassName : Names.ModuleBase)}{(recurrent ? ", " + RecurrentEmitter.AttentionInterface : "")}");
            writer.OpenBlock();
            writer.WriteLine($"private const int Heads = {Int(attention.Heads)};");
            writer.WriteLine($"private const int HeadDim = {Int(headDim)};");
            writer.WriteLine();
            foreach (var projection in projections)
                writer.WriteLine($"private readonly {Names.Linear} {projection};");
            family.EmitFields(writer, spec, attention);
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Creates the projections {string.Join(", ", projections.Take(projections.Count - 1))} and {projections[projections.Count - 1]}{(family.HasOwnParameters(spec, attention) ? ", and the attention's own parameters" : "")}.</summary>");
            var modelParameter = family.ModelParameter(spec, attention);
            if (modelParameter is not null)
                writer.WriteLine($"/// <param name=\"{modelParameter.Field}\">Reads the model's {modelParameter.Field}, which this layer uses and does not own.</param>");
            writer.WriteLine($"public {name}({(modelParameter is null ? "" : $"global::System.Func<{Names.Tensor}> {modelParameter.Field}")}) : base(nameof({name}))");
            writer.OpenBlock();
            foreach (var projection in projections)
                writer.WriteLine($"{projection} = {LayerFactories.LinearCreate(spec, spec.Dim, spec.Dim)};");
            family.EmitConstruction(writer, spec, attention);
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine(isOverride ? "internal override void InitializeWeights()" : "internal void InitializeWeights()");
            writer.OpenBlock();
            foreach (var projection in family.InputProjectionsOf(attention))
                LayerFactories.EmitLinearInit(writer, spec, projection, LayerFactories.InitStd);
            writer.WriteLine($"// The output projection feeds the residual stream: std 0.02 / √(2·Depth) = 0.02 / √{Int(2L * spec.Depth)} (GPT-2).");
            LayerFactories.EmitLinearInit(writer, spec, OutputProjection, LayerFactories.ResidualStd(spec));
            family.EmitInitialization(writer, spec, attention);
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps <c>[batch, seq, {Int(spec.Dim)}]</c> to <c>[batch, seq, {Int(spec.Dim)}]</c>.</summary>");
            EmitForwardParameterDocs(writer, rotary);
            writer.WriteLine($"public {(isOverride ? "override " : "")}{Names.Tensor} forward({ForwardParameters(rotary)})");
            writer.OpenBlock();
            writer.WriteLine("long batch = x.shape[0], seq = x.shape[1];");
            EmitSplitHeads(writer, spec, attention, family, "seq", rotary, "// Rotate by position (RoPE), so scores depend on relative position only.",
                rotated => $"{Names.RotaryEmbedding}.Apply({rotated}, rotary)");
            family.EmitAttend(writer, spec, attention);
            writer.WriteLine($"// Merge the heads: [batch, {Int(attention.Heads)}, seq, {Int(headDim)}] -> [batch, seq, {Int(spec.Dim)}].");
            writer.WriteLine("var merged = attended.transpose(1, 2).reshape(batch, seq, Heads * HeadDim);");
            if (spec.Dropout > 0)
            {
                writer.WriteLine("// Output projection, then residual dropout.");
                writer.WriteLine($"return {Names.Functional}.dropout({OutputProjection}.forward(merged), {SpecFormat.DoubleLiteral(spec.Dropout)}, training);");
            }
            else
            {
                writer.WriteLine("// Output projection.");
                writer.WriteLine($"return {OutputProjection}.forward(merged);");
            }
            writer.CloseBlock();
            if (recurrent)
                EmitStep(writer, spec, attention, family, headDim, rotary);
            family.EmitNestedTypes(writer, spec, attention, spec.Attention.Count == 1 ? spec.Name : spec.Name + "." + name);
            writer.CloseBlock();
        }

        // The recurrent form of forward: the same projections and output, the family's step in place of its attend.
        private static void EmitStep(SourceWriter writer, ModelSpec spec, AttentionSpec attention, AttentionFamily family, int headDim, bool rotary)
        {
            EmitStepOpening(writer, spec, "Attends each sequence's new token from the recurrent state");
            EmitSplitHeads(writer, spec, attention, family, "1", rotary, "// Rotate by each sequence's own position (RoPE).",
                rotated => $"state.Rotate({rotated}, rotaryBase: {SpecFormat.DoubleLiteral(spec.Positions.RotaryBase)})");
            family.EmitStepAttend(writer, spec, attention);
            writer.WriteLine($"// Merge the heads and project: [batch, {Int(attention.Heads)}, 1, {Int(headDim)}] -> [batch, 1, {Int(spec.Dim)}].");
            string projected = LayerFactories.StepLinear(OutputProjection, "attended.transpose(1, 2).reshape(batch, 1, Heads * HeadDim)");
            writer.WriteLine(spec.Dropout > 0
                ? $"return {Names.Functional}.dropout({projected}, {SpecFormat.DoubleLiteral(spec.Dropout)}, training);"
                : $"return {projected};");
            writer.CloseBlock();
        }

        /// <summary>
        /// The documentation, signature and first line of an attention class's <c>Step(x, state, layer)</c>
        /// (<c>IRecurrentAttention</c>), after a blank line; the caller writes the body and closes the block.
        /// </summary>
        internal static void EmitStepOpening(SourceWriter writer, ModelSpec spec, string summary, bool declareBatch = true)
        {
            writer.WriteLine();
            writer.WriteLine($"/// <summary>{summary}: <c>[batch, 1, {Int(spec.Dim)}]</c> to <c>[batch, 1, {Int(spec.Dim)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The normalised residual stream at the new token.</param>");
            writer.WriteLine("/// <param name=\"state\">The model's recurrent state.</param>");
            writer.WriteLine("/// <param name=\"layer\">This layer's number.</param>");
            writer.WriteLine($"public {Names.Tensor} Step({Names.Tensor} x, {RecurrentEmitter.State} state, int layer)");
            writer.OpenBlock();
            if (declareBatch)
                writer.WriteLine("long batch = x.size(0);");
        }

        // The input projections split into heads, [batch, seq, Dim] -> [batch, Heads, seq, HeadDim], then rotated by position.
        private static void EmitSplitHeads(SourceWriter writer, ModelSpec spec, AttentionSpec attention, AttentionFamily family,
            string seq, bool rotary, string rotaryComment, Func<string, string> rotate)
        {
            writer.WriteLine($"// Project and split the heads: [batch, {seq}, {Int(spec.Dim)}] -> [batch, {Int(attention.Heads)}, {seq}, {Int(spec.HeadDimOf(attention))}].");
            foreach (var projection in family.InputProjectionsOf(attention))
                writer.WriteLine($"var {SplitName(projection)} = {(seq == "1" ? LayerFactories.StepLinear(projection, "x") : projection + ".forward(x)")}.view(batch, {seq}, Heads, HeadDim).transpose(1, 2);");
            if (rotary && family.RotatedProjectionsOf(attention).Count > 0)
            {
                writer.WriteLine(rotaryComment);
                foreach (var rotated in family.RotatedProjectionsOf(attention))
                    writer.WriteLine($"{rotated} = {rotate(rotated)};");
            }
        }

        private const string OutputProjection = "out_proj";

        // q_proj -> q: the local that holds a projection split into heads.
        private static string SplitName(string projection) =>
            projection.EndsWith("_proj", StringComparison.Ordinal) ? projection.Substring(0, projection.Length - "_proj".Length) : projection;

        /// <summary>The layers declaration <paramref name="index"/> applies to: <c>layer 0</c>, <c>layers 1, 3, 4</c>.</summary>
        internal static string LayersPhrase(ModelSpec spec, int index)
        {
            var attentionOfLayer = spec.AttentionIndexOfLayers();
            var layers = Enumerable.Range(0, spec.Depth).Where(layer => attentionOfLayer[layer] == index).Select(layer => SpecFormat.Int(layer)).ToList();
            return layers.Count == 1 ? "layer " + layers[0] : "layers " + string.Join(", ", layers);
        }

        internal static void EmitForwardParameterDocs(SourceWriter writer, bool rotary)
        {
            writer.WriteLine("/// <param name=\"x\">The normalised residual stream.</param>");
            writer.WriteLine("/// <param name=\"keyPaddingMask\">Null, or bool <c>[batch, seq]</c>, true for real tokens.</param>");
            if (rotary)
                writer.WriteLine("/// <param name=\"rotary\">The rotary tables for positions 0..seq-1.</param>");
        }

        internal static string ForwardParameters(bool rotary) =>
            $"{Names.Tensor} x, {Names.Tensor}? keyPaddingMask{(rotary ? $", {Names.RotaryTables} rotary" : "")}";

        private static string Int(long value) => SpecFormat.Int(value);
    }
}
