using XformerDsl.Specs;

namespace XformerDsl.Generator.Emit.Frame
{
    /// <summary>The nested <c>FeedForwardNetwork</c> module: the position-wise network of every block.</summary>
    internal static class FeedForwardEmitter
    {
        public static void Emit(SourceWriter writer, ModelSpec spec)
        {
            var ffn = spec.FeedForward;
            bool swiGlu = ffn.Activation == Activation.SwiGlu;
            string formula = swiGlu ? "down(silu(gate(x)) ⊙ up(x))" : $"down({(ffn.Activation == Activation.Relu ? "relu" : "gelu")}(up(x)))";
            writer.WriteLine($"/// <summary>The position-wise feed-forward network, {formula}, hidden width {Int(ffn.Hidden)}.</summary>");
            writer.WriteLine($"public sealed class FeedForwardNetwork : {Names.ModuleBase}");
            writer.OpenBlock();
            if (swiGlu)
                writer.WriteLine($"private readonly {Names.Linear} gate_proj;");
            writer.WriteLine($"private readonly {Names.Linear} up_proj;");
            writer.WriteLine($"private readonly {Names.Linear} down_proj;");
            writer.WriteLine();
            writer.WriteLine("/// <summary>Creates the projections.</summary>");
            writer.WriteLine("public FeedForwardNetwork() : base(nameof(FeedForwardNetwork))");
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
            int chunkLength = ffn.ChunkLength(spec.MaxLength);
            bool chunked = ffn.Chunks > 1;
            if (chunked)
            {
                writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x)");
                writer.OpenBlock();
                writer.WriteLine($"// Chunks = {Int(ffn.Chunks)}: pieces of MaxLength / Chunks = {Int(chunkLength)} positions, forward and backward; the backward");
                writer.WriteLine($"// pass recomputes each piece's [batch, {Int(chunkLength)}, {Int(ffn.Hidden)}] activations instead of storing them for the whole sequence.");
                writer.WriteLine($"return {Names.SequenceChunks}.Apply(Compute, x, chunkLength: {Int(chunkLength)}, parameters());");
                writer.CloseBlock();
                writer.WriteLine();
                writer.WriteLine("// The network on one piece of the sequence (every position independently).");
                writer.WriteLine($"private {Names.Tensor} Compute({Names.Tensor} x)");
            }
            else
            {
                writer.WriteLine($"public {Names.Tensor} forward({Names.Tensor} x)");
            }
            writer.OpenBlock();
            writer.WriteLine($"// {formula}: [batch, seq, {Int(spec.Dim)}] -> [batch, seq, {Int(ffn.Hidden)}] -> [batch, seq, {Int(spec.Dim)}].");
            switch (ffn.Activation)
            {
                case Activation.SwiGlu:
                    writer.WriteLine($"var hidden = {Names.Functional}.silu(gate_proj.forward(x)) * up_proj.forward(x);");
                    break;
                case Activation.Relu:
                    writer.WriteLine($"var hidden = {Names.Functional}.relu(up_proj.forward(x));");
                    break;
                default:
                    writer.WriteLine($"var hidden = {Names.Functional}.gelu(up_proj.forward(x));");
                    break;
            }
            writer.WriteLine(spec.Dropout > 0
                ? $"return {Names.Functional}.dropout(down_proj.forward(hidden), {Dbl(spec.Dropout)}, training);"
                : "return down_proj.forward(hidden);");
            writer.CloseBlock();
            writer.CloseBlock();
        }

        private static string Int(long value) => SpecFormat.Int(value);

        private static string Dbl(double value) => SpecFormat.DoubleLiteral(value);
    }
}
