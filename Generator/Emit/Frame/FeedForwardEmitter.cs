using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>The nested <c>FeedForwardNetwork</c> module: the position-wise network of every block.</summary>
    internal static class FeedForwardEmitter
    {
        public const string ClassName = "FeedForwardNetwork";

        // With a frame feature that runs the network (chunked feed-forward), the computation's own method.
        private const string ComputeMethod = "Compute";

        public static void Emit(SourceWriter writer, ModelSpec spec)
        {
            var ffn = spec.FeedForward;
            bool swiGlu = ffn.Activation == Activation.SwiGlu;
            string formula = swiGlu ? "down(silu(gate(x)) ⊙ up(x))" : $"down({(ffn.Activation == Activation.Relu ? "relu" : "gelu")}(up(x)))";
            writer.WriteLine($"/// <summary>The position-wise feed-forward network, {formula}, hidden width {Int(ffn.Hidden)}.</summary>");
            writer.WriteLine($"public sealed class {ClassName} : {Names.ModuleBase}");
            writer.OpenBlock();
            if (swiGlu)
                writer.WriteLine($"private readonly {Names.Linear} gate_proj;");
            writer.WriteLine($"private readonly {Names.Linear} up_proj;");
            writer.WriteLine($"private readonly {Names.Linear} down_proj;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the projections.</summary>");
            writer.WriteLine($"public {ClassName}() : base(nameof({ClassName}))");
            writer.OpenBlock();
            if (swiGlu)
                writer.WriteLine($"gate_proj = {LayerFactories.LinearCreate(spec, spec.Dim, ffn.Hidden)};");
            writer.WriteLine($"up_proj = {LayerFactories.LinearCreate(spec, spec.Dim, ffn.Hidden)};");
            writer.WriteLine($"down_proj = {LayerFactories.LinearCreate(spec, ffn.Hidden, spec.Dim)};");
            writer.WriteLine("RegisterComponents();");
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine("internal void InitializeWeights()");
            writer.OpenBlock();
            if (swiGlu)
                LayerFactories.EmitLinearInit(writer, spec, "gate_proj", LayerFactories.InitStd);
            LayerFactories.EmitLinearInit(writer, spec, "up_proj", LayerFactories.InitStd);
            writer.WriteLine($"// The down projection feeds the residual stream: std 0.02 / √(2·Depth) = 0.02 / √{Int(2L * spec.Depth)} (GPT-2).");
            LayerFactories.EmitLinearInit(writer, spec, "down_proj", LayerFactories.ResidualStd(spec));
            writer.CloseBlock();
            writer.WriteLine();
            writer.WriteLine($"/// <summary>Maps <c>[batch, seq, {Int(spec.Dim)}]</c> to <c>[batch, seq, {Int(spec.Dim)}]</c>.</summary>");
            writer.WriteLine("/// <param name=\"x\">The normalised residual stream.</param>");
            if (FrameFeatures.FeedForwardRunner(spec) is { } runner)
            {
                runner.EmitFeedForwardForward(writer, spec, ComputeMethod);
                writer.WriteLine($"private {Names.Tensor} {ComputeMethod}({Names.Tensor} x)");
            }
            else
            {
                writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x)");
            }
            EmitBody(writer, spec, formula, "seq", (layer, input) => $"{layer}.forward({input})", input => $"{Names.Functional}.gelu({input})");
            if (RecurrentEmitter.IsRecurrent(spec))
            {
                writer.WriteLine();
                writer.WriteLine($"/// <summary>The network at the new token of a generation step, <c>[batch, 1, {Int(spec.Dim)}]</c>: forward's computation, its projections through <c>TokenLinear</c>{(spec.FeedForward.Activation is Activation.Relu or Activation.SwiGlu ? "" : " and its GELU through <c>TokenActivation</c>")}.</summary>");
                writer.WriteLine("/// <param name=\"x\">The normalised residual stream at the new token.</param>");
                writer.WriteLine($"public {Names.Tensor} Step({Names.Tensor} x)");
                EmitBody(writer, spec, formula, "1", LayerFactories.StepLinear, LayerFactories.StepGelu);
            }
            writer.CloseBlock();
        }

        // The network's body in braces over [batch, seq, Dim], each projection applied by linear(layer, input), GELU by gelu(input).
        private static void EmitBody(SourceWriter writer, ModelSpec spec, string formula, string seq, System.Func<string, string, string> linear,
            System.Func<string, string> gelu)
        {
            var ffn = spec.FeedForward;
            writer.OpenBlock();
            writer.WriteLine($"// {formula}: [batch, {seq}, {Int(spec.Dim)}] -> [batch, {seq}, {Int(ffn.Hidden)}] -> [batch, {seq}, {Int(spec.Dim)}].");
            switch (ffn.Activation)
            {
                case Activation.SwiGlu:
                    writer.WriteLine($"var hidden = {Names.Functional}.silu({linear("gate_proj", "x")}) * {linear("up_proj", "x")};");
                    break;
                case Activation.Relu:
                    writer.WriteLine($"var hidden = {Names.Functional}.relu({linear("up_proj", "x")});");
                    break;
                default:
                    writer.WriteLine($"var hidden = {gelu(linear("up_proj", "x"))};");
                    break;
            }
            writer.WriteLine(spec.Dropout > 0
                ? $"return {Names.Functional}.dropout({linear("down_proj", "hidden")}, {Dbl(spec.Dropout)}, training);"
                : $"return {linear("down_proj", "hidden")};");
            writer.CloseBlock();
        }

        private static string Int(long value) => SpecFormat.Int(value);

        private static string Dbl(double value) => SpecFormat.DoubleLiteral(value);
    }
}
