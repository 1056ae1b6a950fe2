using System.Collections.Generic;
using System.Linq;
using XformerDsl.Generator.Emit;
using XformerDsl.Generator.Emit.Frame;
using XformerDsl.Generator.Emit.Kernels;
using XformerDsl.Generator.Parsing;
using XformerDsl.Specs;

namespace XformerDsl.Generator.Families
{
    /// <summary>
    /// <c>[LongShortRangeAttention]</c>: Lite Transformer's attention, written as a class of its own because it splits the
    /// channels. The first AttentionWidth channels go through multi-head full attention (its own projections at that width,
    /// the generated softmax <c>Kernel</c>), the rest through the convolution branch (Linear, GLU for dynamic convolution,
    /// the convolution, Linear), and the outputs are concatenated. Every kernel size the declaration gives its layers gets
    /// a <c>Convolution{K}</c> struct, the compile-time shape the runtime's fused convolution is specialised for; each
    /// layer picks its own in the constructor.
    /// </summary>
    internal sealed class LongShortRangeAttentionFamily : AttentionFamily<LongShortRangeAttentionSpec, LongShortRangeAttentionAttribute>
    {
        private const string Fused = "global::XformerDsl.Attention.LongShortRange.FusedConvolution";
        private const string Reference = "global::XformerDsl.Attention.LongShortRange.ConvolutionReference";
        private const string Shape = "global::XformerDsl.Attention.LongShortRange.IConvolutionShape";
        private const string LayerState = "global::XformerDsl.Attention.LongShortRange.LongShortRangeState";
        private const string ConvolutionState = "global::XformerDsl.Attention.LongShortRange.CausalConvolutionState";
        private const string KeyValueCache = "global::XformerDsl.Attention.Full.KeyValueCache";

        public override SpecRuleSet? Rules => LongShortRangeAttentionRules.All;

        public override bool EmitsWholeClass => true;

        public override bool TakesLayer => true;

        protected override LongShortRangeAttentionSpec? ParseSpec(AttributeArguments arguments)
        {
            if (arguments.RequiredInt(nameof(LongShortRangeAttentionAttribute.Heads), SpecLimits.Heads) is not int heads)
                return null;
            int kernelHeads = arguments.OptionalInt(nameof(LongShortRangeAttentionAttribute.KernelHeads)) is int declared and not 0 ? declared : heads;
            return new LongShortRangeAttentionSpec(
                heads,
                arguments.Enum(nameof(LongShortRangeAttentionAttribute.Convolution), LongShortRangeAttentionSpec.DefaultConvolution),
                kernelHeads,
                arguments.OptionalInt(nameof(LongShortRangeAttentionAttribute.AttentionWidth)) ?? 0,
                arguments.IntArray(nameof(LongShortRangeAttentionAttribute.KernelSizes)),
                arguments.Double(nameof(LongShortRangeAttentionAttribute.DropConnect), 0.0));
        }

        protected override IEnumerable<(string Name, string Literal)> FormatSpec(LongShortRangeAttentionSpec attention)
        {
            yield return Argument(nameof(LongShortRangeAttentionAttribute.Heads), attention.Heads);
            yield return Argument(nameof(LongShortRangeAttentionAttribute.Convolution), attention.Convolution);
            yield return Argument(nameof(LongShortRangeAttentionAttribute.KernelHeads), attention.KernelHeads);
            if (attention.AttentionWidth != 0)
                yield return Argument(nameof(LongShortRangeAttentionAttribute.AttentionWidth), attention.AttentionWidth);
            if (attention.KernelSizes is { } sizes)
                yield return Argument(nameof(LongShortRangeAttentionAttribute.KernelSizes), sizes);
            if (attention.DropConnect != 0)
                yield return (nameof(LongShortRangeAttentionAttribute.DropConnect), SpecFormat.DoubleLiteral(attention.DropConnect));
        }

        // The whole class is the family's; the shared frame's attend step is never asked for.
        protected override void EmitAttend(SourceWriter writer, ModelSpec spec, LongShortRangeAttentionSpec attention) =>
            throw new System.InvalidOperationException("LongShortRangeAttention writes its whole class.");

        /// <summary>A decoder steps: the attention branch from a key-value cache, the convolution from its last K − 1 inputs.</summary>
        protected override bool IsRecurrent(ModelSpec spec, LongShortRangeAttentionSpec attention) => spec.Causal;

        public override StepStateDescription? StepState(ModelSpec spec, AttentionSpec attention) =>
            new("long-short range attention", "Long-short range attention layers",
                "a key-value cache of its attention branch that grows with the position, and the last K - 1 inputs of its convolution", FixedSize: false);

        /// <summary>The kernel sizes of the layers this declaration serves, in layer order.</summary>
        private static IReadOnlyList<(int Layer, int KernelSize)> LayerKernels(ModelSpec spec, int index, LongShortRangeAttentionSpec attention)
        {
            var attentionOfLayer = spec.AttentionIndexOfLayers();
            return Enumerable.Range(0, attentionOfLayer.Count).Where(layer => attentionOfLayer[layer] == index)
                .Select(layer => (layer, attention.KernelSizeOf(layer))).ToList();
        }

        private static string ShapeName(int kernelSize) => "Convolution" + SpecFormat.Int(kernelSize);

        public override void EmitClass(SourceWriter writer, ModelSpec spec, int index, string name, bool isOverride, bool recurrent)
        {
            var attention = (LongShortRangeAttentionSpec)spec.Attention[index].Attention;
            int dim = spec.Dim, width = attention.Width(dim), convolutionWidth = attention.ConvolutionWidth(dim), headDim = spec.HeadDimOf(attention);
            bool rotary = spec.Positions.Kind == PositionEncoding.Rotary;
            bool dynamic = attention.Convolution == ConvolutionKind.Dynamic;
            string kind = dynamic ? "dynamic" : "lightweight";
            var kernels = LayerKernels(spec, index, attention);
            var sizes = kernels.Select(k => k.KernelSize).Distinct().OrderBy(k => k).ToList();
            string where = isOverride ? $" Used by {AttentionClassEmitter.LayersPhrase(spec, index)}." : "";

            writer.WriteLine($"/// <summary>");
            writer.WriteLine($"/// Long-short range attention (Lite Transformer), {(spec.Causal ? "causal" : "bidirectional")}: the first {Int(width)} channels through full attention, {Int(attention.Heads)} head{(attention.Heads == 1 ? "" : "s")} of size {Int(headDim)},");
            writer.WriteLine($"/// the other {Int(convolutionWidth)} through a {kind} convolution with {Int(attention.KernelHeads)} kernel head{(attention.KernelHeads == 1 ? "" : "s")}, {(spec.Causal ? "causal" : "centred")}; kernel size by layer: {string.Join(", ", kernels.Select(k => $"{Int(k.Layer)}: {Int(k.KernelSize)}"))}.{where}");
            writer.WriteLine($"/// </summary>");
            writer.WriteLine($"public sealed class {name} : {(isOverride ? AttentionClassEmitter.BaseClassName : Names.ModuleBase)}{(recurrent ? ", " + RecurrentEmitter.AttentionInterface : "")}");
            writer.OpenBlock();
            writer.WriteLine($"private const int Heads = {Int(attention.Heads)};");
            writer.WriteLine($"private const int HeadDim = {Int(headDim)};");
            writer.WriteLine($"private const int AttentionWidth = {Int(width)};");
            writer.WriteLine($"private const int ConvolutionWidth = {Int(convolutionWidth)};");
            writer.WriteLine($"private const int KernelHeads = {Int(attention.KernelHeads)};");
            writer.WriteLine();
            writer.WriteLine($"// The attention branch, at its width: {Int(width)} -> {Int(width)}.");
            foreach (var projection in s_attentionProjections)
                writer.WriteLine($"private readonly {Names.Linear} {projection};");
            writer.WriteLine(dynamic
                ? $"// The convolution branch (fairseq's linear1, weight_linear, linear2): {Int(convolutionWidth)} -> {Int(2L * convolutionWidth)} for the GLU, the per-position kernels, {Int(convolutionWidth)} -> {Int(convolutionWidth)}."
                : $"// The convolution branch (fairseq's linear1, weight, linear2): {Int(convolutionWidth)} -> {Int(convolutionWidth)}, the shared kernels, {Int(convolutionWidth)} -> {Int(convolutionWidth)}.");
            writer.WriteLine($"private readonly {Names.Linear} conv_in_proj;");
            writer.WriteLine(dynamic ? $"private readonly {Names.Linear} conv_weight_proj;" : $"private readonly {Names.Parameter} conv_weight;");
            writer.WriteLine($"private readonly {Names.Linear} conv_out_proj;");
            writer.WriteLine("// This layer's kernel size, and the fused convolution generated for it.");
            writer.WriteLine("private readonly int kernelSize;");
            writer.WriteLine($"private readonly global::System.Func<{Names.Tensor}, {Names.Tensor}, {Names.Tensor}> convolve;");
            writer.WriteLine();

            writer.WriteLine($"/// <summary>Creates the branches of layer <paramref name=\"layer\"/>, with its kernel size.</summary>");
            writer.WriteLine("/// <param name=\"layer\">The layer's number, which chooses its kernel size.</param>");
            writer.WriteLine($"public {name}(int layer) : base(nameof({name}))");
            writer.OpenBlock();
            foreach (var projection in s_attentionProjections)
                writer.WriteLine($"{projection} = {LayerFactories.LinearCreate(spec, width, width)};");
            writer.WriteLine($"conv_in_proj = {LayerFactories.LinearCreate(spec, convolutionWidth, dynamic ? 2L * convolutionWidth : convolutionWidth)};");
            writer.WriteLine("kernelSize = KernelSizeOf(layer);");
            writer.WriteLine(dynamic
                ? $"conv_weight_proj = {Names.Nn}.Linear({Int(convolutionWidth)}, KernelHeads * kernelSize, hasBias: false);"
                : $"conv_weight = new {Names.Parameter}({Names.Torch}.empty(KernelHeads, kernelSize));");
            writer.WriteLine($"conv_out_proj = {LayerFactories.LinearCreate(spec, convolutionWidth, convolutionWidth)};");
            writer.WriteLine("convolve = kernelSize switch");
            writer.OpenBlock();
            foreach (int size in sizes)
                writer.WriteLine(dynamic
                    ? $"{Int(size)} => {Fused}<{ShapeName(size)}>.Dynamic,"
                    : $"{Int(size)} => (input, weight) => {Fused}<{ShapeName(size)}>.Lightweight(input, weight),");
            writer.WriteLine("_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"No layer of this declaration has that number.\"),");
            writer.CloseBlock(";");
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();

            writer.WriteLine("// The declared kernel size of each layer this class serves.");
            if (sizes.Count == 1)
                writer.WriteLine($"private static int KernelSizeOf(int layer) => {Int(sizes[0])};");
            else
            {
                writer.WriteLine("private static int KernelSizeOf(int layer) => layer switch");
                writer.OpenBlock();
                foreach (var group in kernels.GroupBy(k => k.KernelSize))
                    writer.WriteLine($"{string.Join(" or ", group.Select(k => Int(k.Layer)))} => {Int(group.Key)},");
                writer.WriteLine("_ => throw new global::System.ArgumentOutOfRangeException(nameof(layer), layer, \"No layer of this declaration has that number.\"),");
                writer.CloseBlock(";");
            }
            writer.WriteLine();

            writer.WriteLine(isOverride ? "internal override void InitializeWeights()" : "internal void InitializeWeights()");
            writer.OpenBlock();
            foreach (var projection in new[] { "q_proj", "k_proj", "v_proj", "conv_in_proj" })
                LayerFactories.EmitLinearInit(writer, spec, projection, LayerFactories.InitStd);
            writer.WriteLine(dynamic
                ? $"{Names.Init}.normal_(conv_weight_proj.weight, 0.0, {SpecFormat.DoubleLiteral(LayerFactories.InitStd)});"
                : $"{Names.Init}.normal_(conv_weight, 0.0, {SpecFormat.DoubleLiteral(LayerFactories.InitStd)});");
            writer.WriteLine($"// The two outputs feed the residual stream: std 0.02 / √(2·Depth) = 0.02 / √{Int(2L * spec.Depth)} (GPT-2).");
            LayerFactories.EmitLinearInit(writer, spec, "out_proj", LayerFactories.ResidualStd(spec));
            LayerFactories.EmitLinearInit(writer, spec, "conv_out_proj", LayerFactories.ResidualStd(spec));
            writer.CloseBlock();
            writer.WriteLine();

            // forward
            writer.WriteLine($"/// <summary>Maps <c>[batch, seq, {Int(dim)}]</c> to <c>[batch, seq, {Int(dim)}]</c>.</summary>");
            AttentionClassEmitter.EmitForwardParameterDocs(writer, rotary);
            writer.WriteLine($"public {(isOverride ? "override " : "")}{Names.Tensor} forward({AttentionClassEmitter.ForwardParameters(rotary)})");
            writer.OpenBlock();
            writer.WriteLine("long batch = x.shape[0], seq = x.shape[1];");
            writer.WriteLine($"// Split the channels: the first {Int(width)} to attention (long range), the other {Int(convolutionWidth)} to the convolution (short range).");
            writer.WriteLine("var longInput = x[.., .., ..AttentionWidth];");
            writer.WriteLine("var shortInput = x[.., .., AttentionWidth..];");
            writer.WriteLine($"// Attention branch: project and split the heads, [batch, seq, {Int(width)}] -> [batch, {Int(attention.Heads)}, seq, {Int(headDim)}].");
            foreach (var projection in new[] { "q", "k", "v" })
                writer.WriteLine($"var {projection} = {projection}_proj.forward(longInput).view(batch, seq, Heads, HeadDim).transpose(1, 2);");
            if (rotary)
            {
                writer.WriteLine("// Rotate by position (RoPE), so scores depend on relative position only.");
                writer.WriteLine($"q = {Names.RotaryEmbedding}.Apply(q, rotary);");
                writer.WriteLine($"k = {Names.RotaryEmbedding}.Apply(k, rotary);");
            }
            writer.WriteLine($"// softmax(q kᵀ / √{Int(headDim)}) v, {(spec.Causal ? "each query seeing itself and earlier keys" : "each query seeing every key")}, on the fused kernel below; padded keys are hidden.");
            writer.WriteLine($"var attended = {Names.FusedAttention}<{SoftmaxKernelEmitter.ClassName}>.Apply(q, k, v, keyPaddingMask);");
            writer.WriteLine("var longRange = out_proj.forward(attended.transpose(1, 2).reshape(batch, seq, AttentionWidth));");
            EmitConvolutionInput(writer, dynamic, "shortInput");
            writer.WriteLine("// Padding is zeroed right before the convolution, so no real position reads it.");
            writer.WriteLine($"convolutionInput = {Reference}.ZeroPadding(convolutionInput, keyPaddingMask);");
            writer.WriteLine(dynamic
                ? $"// Each position's kernels: a bias-free linear of its input, [batch, seq, {Int(attention.KernelHeads)}, K], softmax-normalised over the kernel{(attention.DropConnect > 0 ? ", DropConnect in training" : "")}."
                : $"// The shared kernels, [{Int(attention.KernelHeads)}, K], softmax-normalised over the kernel{(attention.DropConnect > 0 ? ", DropConnect in training" : "")}.");
            writer.WriteLine(dynamic
                ? $"var weights = {Reference}.SoftmaxDropConnect(conv_weight_proj.forward(convolutionInput).view(batch, seq, KernelHeads, kernelSize), {SpecFormat.DoubleLiteral(attention.DropConnect)}, training);"
                : $"var weights = {Reference}.SoftmaxDropConnect(conv_weight, {SpecFormat.DoubleLiteral(attention.DropConnect)}, training);");
            writer.WriteLine($"var shortRange = conv_out_proj.forward(convolve(convolutionInput, weights));");
            writer.WriteLine($"// Concatenate the branches back to {Int(dim)} channels (no projection after the merge).");
            string merged = $"{Names.Torch}.cat(new[] {{ longRange, shortRange }}, dim: -1)";
            writer.WriteLine(spec.Dropout > 0 ? $"return {Names.Functional}.dropout({merged}, {SpecFormat.DoubleLiteral(spec.Dropout)}, training);" : $"return {merged};");
            writer.CloseBlock();

            if (recurrent)
                EmitStep(writer, spec, attention, dynamic, rotary, width, headDim);

            writer.WriteLine();
            SoftmaxKernelEmitter.Emit(writer, spec, attention, new FullSchedule(spec.Causal), (spec.Attention.Count == 1 ? spec.Name : spec.Name + "." + name) + ", attention branch");
            foreach (int size in sizes)
            {
                writer.WriteLine();
                writer.WriteLine($"/// <summary>The {(spec.Causal ? "causal" : "centred")} convolution of kernel size {Int(size)}: the runtime's fused convolution is compiled for exactly this shape.</summary>");
                writer.WriteLine($"public readonly struct {ShapeName(size)} : {Shape}");
                writer.OpenBlock();
                writer.WriteLine("/// <summary>Taps of the kernel.</summary>");
                writer.WriteLine($"public static int KernelSize => {Int(size)};");
                writer.WriteLine();
                writer.WriteLine($"/// <summary>{(spec.Causal ? "Causal: position t sees t - K + 1 to t." : "Centred: position t sees (K - 1) / 2 positions on each side.")}</summary>");
                writer.WriteLine($"public static bool Causal => {SpecFormat.Bool(spec.Causal)};");
                writer.CloseBlock();
            }
            writer.CloseBlock();
        }

        // Linear, then the GLU for dynamic convolution: the convolution's input.
        private static void EmitConvolutionInput(SourceWriter writer, bool dynamic, string input)
        {
            writer.WriteLine(dynamic
                ? $"// Convolution branch: Linear to twice the width, GLU back to it."
                : $"// Convolution branch: Linear.");
            writer.WriteLine(dynamic
                ? $"var convolutionInput = {Names.Functional}.glu(conv_in_proj.forward({input}), dim: -1);"
                : $"var convolutionInput = conv_in_proj.forward({input});");
        }

        private static void EmitStep(SourceWriter writer, ModelSpec spec, LongShortRangeAttentionSpec attention, bool dynamic, bool rotary, int width, int headDim)
        {
            AttentionClassEmitter.EmitStepOpening(writer, spec, "Both branches for one new token per sequence, from the layer's state");
            writer.WriteLine($"// This layer's key-value cache and its convolution's last K - 1 inputs.");
            writer.WriteLine($"var layerState = state.Layer(layer, s => new {LayerState}(");
            writer.Indented(() =>
            {
                writer.WriteLine($"new {KeyValueCache}(s.Batch, Heads, HeadDim, s.MaxLength, s.Device, s.DType),");
                writer.WriteLine($"new {ConvolutionState}(s.Batch, ConvolutionWidth, KernelHeads, kernelSize, s.Device, s.DType)));");
            });
            writer.WriteLine("var longInput = x[.., .., ..AttentionWidth];");
            writer.WriteLine("var shortInput = x[.., .., AttentionWidth..];");
            foreach (var projection in new[] { "q", "k", "v" })
                writer.WriteLine($"var {projection} = {LayerFactories.StepLinear(projection + "_proj", "longInput")}.view(batch, 1, Heads, HeadDim).transpose(1, 2);");
            if (rotary)
            {
                writer.WriteLine("// Rotate by each sequence's own position (RoPE).");
                writer.WriteLine($"q = state.Rotate(q, rotaryBase: {SpecFormat.DoubleLiteral(spec.Positions.RotaryBase)});");
                writer.WriteLine($"k = state.Rotate(k, rotaryBase: {SpecFormat.DoubleLiteral(spec.Positions.RotaryBase)});");
            }
            writer.WriteLine("// The new key and value join the cache at each sequence's position; the query attends keys 0..position.");
            writer.WriteLine("var attended = layerState.Attention.Step(q, k, v, state.Positions);");
            writer.WriteLine($"var longRange = {LayerFactories.StepLinear("out_proj", "attended.transpose(1, 2).reshape(batch, 1, AttentionWidth)")};");
            EmitConvolutionInput(writer, dynamic, "shortInput");
            writer.WriteLine(dynamic
                ? $"var weights = {Reference}.SoftmaxDropConnect(conv_weight_proj.forward(convolutionInput).view(batch, KernelHeads, kernelSize), {SpecFormat.DoubleLiteral(attention.DropConnect)}, training);"
                : $"var weights = {Reference}.SoftmaxDropConnect(conv_weight, {SpecFormat.DoubleLiteral(attention.DropConnect)}, training);");
            writer.WriteLine("// The convolution at this position, from the kept inputs; sequences that are not active keep theirs.");
            writer.WriteLine($"var shortRange = {LayerFactories.StepLinear("conv_out_proj", "layerState.Convolution.Step(convolutionInput.squeeze(1), weights, active: state.Active).unsqueeze(1)")};");
            string merged = $"{Names.Torch}.cat(new[] {{ longRange, shortRange }}, dim: -1)";
            writer.WriteLine(spec.Dropout > 0 ? $"return {Names.Functional}.dropout({merged}, {SpecFormat.DoubleLiteral(spec.Dropout)}, training);" : $"return {merged};");
            writer.CloseBlock();
        }

        private static readonly string[] s_attentionProjections = { "q_proj", "k_proj", "v_proj", "out_proj" };
    }
}
