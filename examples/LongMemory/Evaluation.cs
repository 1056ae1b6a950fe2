using System.Diagnostics;
using TorchSharp;
using XformerDsl.Modules;
using XformerDsl.Training;
using static TorchSharp.torch;

namespace LongMemoryExample;

/// <summary>
/// Validation bits per byte over the same scored segments of the validation streams, read three ways: in order with a
/// memory carried from segment to segment (reuse), each in one forward with the bytes before it (recomputation of the
/// same span), or each alone. The first <c>warmup</c> segments of every stream are read but not scored, so every memory
/// length is scored on the same bytes with its memory full.
/// </summary>
internal static class Evaluation
{
    private static readonly double Ln2 = Math.Log(2);

    /// <summary>Bits per byte of the scored segments and the seconds their forwards took.</summary>
    internal readonly record struct Score(double BitsPerByte, double Seconds);

    /// <summary>Reads the segments in order with a memory of <paramref name="memory"/> positions per layer (and <paramref name="compressed"/> slots; null for the declared number).</summary>
    public static Score WithMemory(ISegmentRecurrentModel model, Tensor rows, int memory, int? compressed, int warmup, int scored) =>
        Evaluate((nn.Module)model, () =>
        {
            using var state = compressed is int slots ? model.CreateMemory(memory, slots) : model.CreateMemory(memory);
            var clock = new Stopwatch();
            double nats = 0;
            for (int i = 0; i < warmup + scored; i++)
            {
                using var scope = NewDisposeScope();
                var (inputs, targets) = SegmentStream.Segment(rows, i, CommandLine.SegmentLength);
                if (i >= warmup) clock.Start();
                var logits = model.forward(inputs, null, state);
                if (i >= warmup)
                {
                    clock.Stop();
                    nats += Trainer.LanguageModelLoss(logits, targets).item<float>();
                }
            }
            return new Score(nats / scored / Ln2, clock.Elapsed.TotalSeconds);
        });

    /// <summary>Reads each scored segment in one forward with the <paramref name="context"/> bytes before it (0: the segment alone), no memory.</summary>
    public static Score Recomputed(nn.Module<Tensor, Tensor> model, Tensor rows, int context, int warmup, int scored) =>
        Evaluate(model, () =>
        {
            const int L = CommandLine.SegmentLength;
            var clock = new Stopwatch();
            double nats = 0;
            for (int i = warmup; i < warmup + scored; i++)
            {
                using var scope = NewDisposeScope();
                long start = Math.Max(0, (long)i * L - context), end = (long)(i + 1) * L;
                var inputs = rows[.., (int)start..(int)end];
                var targets = rows[.., (int)(end - L + 1)..(int)(end + 1)];
                clock.Start();
                var logits = model.forward(inputs)[.., ^L..];
                clock.Stop();
                nats += Trainer.LanguageModelLoss(logits, targets).item<float>();
            }
            return new Score(nats / scored / Ln2, clock.Elapsed.TotalSeconds);
        });

    private static Score Evaluate(nn.Module model, Func<Score> evaluate)
    {
        bool wasTraining = model.training;
        model.eval();
        try
        {
            using (no_grad())
                return evaluate();
        }
        finally
        {
            model.train(wasTraining);
        }
    }
}
