using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// Runs a position-wise function (a feed-forward network) over <c>[batch, seq, dim]</c> in pieces along the sequence,
/// forward and backward, so only one piece's intermediate activations exist at a time (Reformer, §3 "Chunking").
/// The backward pass recomputes each piece under autograd and takes its gradients before moving to the next, so the
/// only tensors kept between forward and backward are the input and the random-stream position (dropout masks are
/// drawn again identically). Results and gradients equal those of the function applied to the whole sequence.
/// </summary>
public static class SequenceChunks
{
    /// <summary>
    /// <paramref name="function"/> applied to <paramref name="x"/> piece by piece, pieces of
    /// <paramref name="chunkLength"/> positions (the last one shorter when it does not divide seq).
    /// </summary>
    /// <param name="function">Position-wise: each output position depends on the same input position only.</param>
    /// <param name="x">Input <c>[batch, seq, dim]</c>.</param>
    /// <param name="chunkLength">Positions per piece, at least 1.</param>
    /// <param name="parameters">Every parameter <paramref name="function"/> reads; their gradients flow through this node.</param>
    /// <exception cref="ArgumentException">When <paramref name="x"/> is not rank 3 or <paramref name="chunkLength"/> is not positive.</exception>
    public static Tensor Apply(Func<Tensor, Tensor> function, Tensor x, int chunkLength, IEnumerable<Tensor> parameters)
    {
        if (x.dim() != 3)
            throw new ArgumentException($"Chunked feed-forward expects x as [batch, seq, dim], but x has shape [{string.Join(", ", x.shape)}].", nameof(x));
        if (chunkLength < 1)
            throw new ArgumentException($"chunkLength = {chunkLength} must be at least 1.", nameof(chunkLength));
        if (x.shape[1] <= chunkLength)
            return function(x);

        var weights = parameters.ToList();
        bool needsGradient = is_grad_enabled() && (x.requires_grad || weights.Any(p => p.requires_grad));
        if (!needsGradient)
            return Run(function, x, chunkLength);
        var inputs = new object[2 + weights.Count];
        inputs[0] = new Plan(function, chunkLength);
        inputs[1] = x;
        for (int i = 0; i < weights.Count; i++)
            inputs[2 + i] = weights[i];
        return SequenceChunksFunction.apply(inputs)[0];
    }

    /// <summary>The pieces one after another, concatenated; no autograd record.</summary>
    internal static Tensor Run(Func<Tensor, Tensor> function, Tensor x, int chunkLength)
    {
        var pieces = new List<Tensor>();
        foreach (var (start, length) in Pieces(x.shape[1], chunkLength))
        {
            using var scope = NewDisposeScope();
            pieces.Add(function(x.narrow(1, start, length)).MoveToOuterDisposeScope());
        }
        var output = cat(pieces, 1);
        foreach (var piece in pieces)
            piece.Dispose();
        return output;
    }

    internal static IEnumerable<(long Start, long Length)> Pieces(long seq, int chunkLength)
    {
        for (long start = 0; start < seq; start += chunkLength)
            yield return (start, Math.Min(chunkLength, seq - start));
    }

    internal sealed record Plan(Func<Tensor, Tensor> Function, int ChunkLength);
}

/// <summary>The autograd node of <see cref="SequenceChunks.Apply"/>: saves the input only, recomputes piece by piece in backward.</summary>
public sealed class SequenceChunksFunction : torch.autograd.MultiTensorFunction<SequenceChunksFunction>
{
    /// <inheritdoc/>
    public override string Name => "SequenceChunks";

    /// <summary>Inputs: the plan (function, piece length), x, then the parameters. Output: the function of x.</summary>
    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var plan = (SequenceChunks.Plan)vars[0];
        var x = (Tensor)vars[1];
        ctx.save_data("plan", plan);
        ctx.save_data("parameters", vars.Skip(2).Cast<Tensor>().ToArray());
        ctx.save_data("random", RandomStream.Capture());
        ctx.save_for_backward([x]);
        return [SequenceChunks.Run(plan.Function, x, plan.ChunkLength)];
    }

    /// <summary>Gradients of x and of every parameter, summed over the pieces.</summary>
    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        var plan = (SequenceChunks.Plan)ctx.get_data("plan");
        var weights = (Tensor[])ctx.get_data("parameters");
        using var random = (RandomStream)ctx.get_data("random");
        var saved = ctx.get_saved_variables();
        using var x = saved[0];
        var gradOutput = grad_outputs[0];

        var weightGrads = new Tensor?[weights.Length];
        var inputGrads = new List<Tensor>();
        // One replay for all pieces: they draw from the random stream in the order the forward pass did.
        random.Replay(() =>
        {
            foreach (var (start, length) in SequenceChunks.Pieces(x.shape[1], plan.ChunkLength))
            {
                using var scope = NewDisposeScope();
                // Recompute this piece with autograd on, take its gradients and let its activations go.
                var (_, grads) = Recomputation.Gradients(plan.Function, weights, x.narrow(1, start, length), gradOutput.narrow(1, start, length));
                inputGrads.Add(grads[0]!.MoveToOuterDisposeScope());
                for (int i = 0; i < weights.Length; i++)
                {
                    if (grads[1 + i] is not { } grad)
                        continue;
                    if (weightGrads[i] is null)
                        weightGrads[i] = grad.MoveToOuterDisposeScope();
                    else
                        weightGrads[i]!.add_(grad);
                }
            }
            return 0;
        });

        var result = new List<Tensor> { null!, cat(inputGrads, 1) };
        foreach (var grad in inputGrads)
            grad.Dispose();
        result.AddRange(weightGrads.Select(grad => grad!));
        return result;
    }
}
