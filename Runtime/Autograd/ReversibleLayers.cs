using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using XformerDsl.Kernels;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// One reversible block: <c>y1 = x1 + Attention(x2)</c>, <c>y2 = x2 + FeedForward(y1)</c> (RevNet, Gomez et al. 2017;
/// Reformer, Kitaev et al. 2020). Each sublayer function includes its norm and dropout; each parameter list names
/// every parameter the function reads, so the stack can hand their gradients to autograd.
/// </summary>
/// <param name="Attention">F, applied to the second stream.</param>
/// <param name="AttentionParameters">The parameters F reads.</param>
/// <param name="FeedForward">G, applied to the new first stream.</param>
/// <param name="FeedForwardParameters">The parameters G reads.</param>
public sealed record ReversibleBlock(
    Func<Tensor, Tensor> Attention, IReadOnlyList<Tensor> AttentionParameters,
    Func<Tensor, Tensor> FeedForward, IReadOnlyList<Tensor> FeedForwardParameters)
{
    /// <summary>Every parameter of <paramref name="modules"/>, in their registration order.</summary>
    public static IReadOnlyList<Tensor> ParametersOf(params nn.Module[] modules) =>
        modules.SelectMany(module => module.parameters()).Cast<Tensor>().ToArray();
}

/// <summary>
/// A stack of <see cref="ReversibleBlock"/>s. With gradients needed it runs as one autograd node that keeps only the
/// last block's outputs: the backward pass walks the blocks from last to first, reconstructs each block's inputs from
/// its outputs (<c>x2 = y2 − G(y1)</c>, <c>x1 = y1 − F(x2)</c>) while recomputing F and G under autograd to take
/// their gradients, so activation memory does not grow with depth. Dropout inside F and G draws the same masks in the
/// recomputation (the random-stream position before each sublayer is saved).
/// </summary>
public static class ReversibleLayers
{
    /// <summary>
    /// The two streams after every block. With <paramref name="storeActivations"/> true the blocks run as plain
    /// autograd operations (the same function and gradients, with every activation stored), for checking and measuring.
    /// </summary>
    /// <param name="x1">The first stream, <c>[batch, seq, dim]</c>.</param>
    /// <param name="x2">The second stream, of the same shape.</param>
    /// <param name="blocks">The blocks, first to last.</param>
    /// <param name="storeActivations">True: plain autograd, every activation stored.</param>
    /// <param name="shared">
    /// Tensors the blocks read besides their parameters that the caller created in a dispose scope which ends before
    /// the backward pass (rotary tables): this call takes them out of that scope and disposes them once the backward
    /// pass has recomputed the blocks.
    /// </param>
    /// <exception cref="ArgumentException">When the streams differ in shape or there is no block.</exception>
    public static (Tensor First, Tensor Second) Apply(Tensor x1, Tensor x2, IReadOnlyList<ReversibleBlock> blocks, bool storeActivations = false,
        IReadOnlyList<Tensor>? shared = null)
    {
        if (!x1.shape.SequenceEqual(x2.shape))
            throw new ArgumentException($"The two reversible streams must have one shape, but x1 is [{string.Join(", ", x1.shape)}] and x2 is [{string.Join(", ", x2.shape)}].");
        if (blocks.Count == 0)
            throw new ArgumentException("A reversible stack needs at least one block.", nameof(blocks));

        var parameters = blocks.SelectMany(block => block.AttentionParameters.Concat(block.FeedForwardParameters)).ToList();
        bool needsGradient = is_grad_enabled() && (x1.requires_grad || x2.requires_grad || parameters.Any(p => p.requires_grad));
        if (storeActivations || !needsGradient)
            return Run(x1, x2, blocks, random: null);

        foreach (var tensor in shared ?? Array.Empty<Tensor>())
            tensor.DetachFromDisposeScope();
        var inputs = new object[3 + parameters.Count];
        inputs[0] = new Plan(blocks, shared ?? Array.Empty<Tensor>());
        inputs[1] = x1;
        inputs[2] = x2;
        for (int i = 0; i < parameters.Count; i++)
            inputs[3 + i] = parameters[i];
        var outputs = ReversibleLayersFunction.apply(inputs);
        return (outputs[0], outputs[1]);
    }

    internal sealed record Plan(IReadOnlyList<ReversibleBlock> Blocks, IReadOnlyList<Tensor> Shared);

    /// <summary>
    /// The blocks one after another; when <paramref name="random"/> is given, the random-stream position before each
    /// sublayer goes into it. Each block runs in its own dispose scope and the streams it replaces are released, so
    /// without autograd only one block's tensors exist at a time (with autograd, the graph keeps what it saved).
    /// </summary>
    internal static (Tensor First, Tensor Second) Run(Tensor x1, Tensor x2, IReadOnlyList<ReversibleBlock> blocks, List<RandomStream>? random)
    {
        for (int b = 0; b < blocks.Count; b++)
        {
            var block = blocks[b];
            Tensor y1, y2;
            using (var scope = NewDisposeScope())
            {
                random?.Add(RandomStream.Capture());
                y1 = x1 + block.Attention(x2);
                random?.Add(RandomStream.Capture());
                y2 = x2 + block.FeedForward(y1);
                y1.MoveToOuterDisposeScope();
                y2.MoveToOuterDisposeScope();
            }
            if (b > 0)
            {
                // The streams the previous block made; the caller's inputs stay untouched.
                x1.Dispose();
                x2.Dispose();
            }
            (x1, x2) = (y1, y2);
            // Each block allocates and frees its working set (tens of MiB at long sequences); without handing the
            // freed pages back, the heap's fragments stay resident and the forward pass's footprint grows with depth
            // although only the two streams are live. Only under the autograd node, where that is the point.
            if (random is not null)
                NativeHeap.ReturnFreePages();
        }
        return (x1, x2);
    }
}

/// <summary>The autograd node of <see cref="ReversibleLayers.Apply"/>.</summary>
public sealed class ReversibleLayersFunction : torch.autograd.MultiTensorFunction<ReversibleLayersFunction>
{
    /// <inheritdoc/>
    public override string Name => "ReversibleLayers";

    /// <summary>Inputs: the plan (blocks and shared tensors), x1, x2, then every block's attention and feed-forward parameters in order. Outputs: y1, y2.</summary>
    public override List<Tensor> forward(torch.autograd.AutogradContext ctx, params object[] vars)
    {
        var plan = (ReversibleLayers.Plan)vars[0];
        var blocks = plan.Blocks;
        var random = new List<RandomStream>();
        Tensor y1, y2;
        using (var scope = NewDisposeScope())
        {
            (y1, y2) = ReversibleLayers.Run((Tensor)vars[1], (Tensor)vars[2], blocks, random);
            y1.MoveToOuterDisposeScope();
            y2.MoveToOuterDisposeScope();
        }
        ctx.save_data("plan", plan);
        ctx.save_data("random", random);
        ctx.save_for_backward([y1, y2]);
        return [y1, y2];
    }

    // The gradients that custom autograd functions inside a block (fused attention, chunked feed-forward) hand to
    // the engine during the recomputation are TorchSharp wrappers that no dispose scope owns; their memory returns only
    // when the wrappers are finalized. Collecting once per block keeps them from piling up with depth; the freed pages
    // then go back to the system, as in the forward pass (see Run).
    private static void ReleaseUnreachableTensors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        NativeHeap.ReturnFreePages();
    }

    /// <summary>Reconstructs each block's inputs from its outputs, last block first, and collects the gradients.</summary>
    public override List<Tensor> backward(torch.autograd.AutogradContext ctx, List<Tensor> grad_outputs)
    {
        var plan = (ReversibleLayers.Plan)ctx.get_data("plan");
        var blocks = plan.Blocks;
        var random = (List<RandomStream>)ctx.get_data("random");
        var saved = ctx.get_saved_variables();
        var parameterGrads = new List<Tensor>[blocks.Count];

        Tensor y1 = saved[0].detach(), y2 = saved[1].detach();
        Tensor dy1 = grad_outputs[0], dy2 = grad_outputs[1];
        foreach (var tensor in saved)
            tensor.Dispose();
        for (int b = blocks.Count - 1; b >= 0; b--)
        {
            var block = blocks[b];
            using var scope = NewDisposeScope();

            // G: recompute G(y1) as the forward pass drew it, take the gradients of y1 and of G's parameters, then x2 = y2 − G(y1).
            var (feedForward, feedForwardGrads) = Recomputation.Gradients(block.FeedForward, block.FeedForwardParameters, y1, dy2, random[2 * b + 1]);
            var x2 = (y2 - feedForward).detach();
            var dx1 = dy1 + feedForwardGrads[0]!;

            // F: recompute F(x2), take the gradients of x2 and of F's parameters, then x1 = y1 − F(x2).
            var (attention, attentionGrads) = Recomputation.Gradients(block.Attention, block.AttentionParameters, x2, dx1, random[2 * b]);
            var x1 = (y1 - attention).detach();
            var dx2 = dy2 + attentionGrads[0]!;

            parameterGrads[b] = attentionGrads.Skip(1).Concat(feedForwardGrads.Skip(1)).Select(grad => grad?.MoveToOuterDisposeScope()!).ToList();
            // Release this block's outputs and their gradients (not the incoming gradients, which autograd owns): only one
            // block's streams exist at a time.
            y1.Dispose();
            y2.Dispose();
            if (b < blocks.Count - 1)
            {
                dy1.Dispose();
                dy2.Dispose();
            }
            (y1, y2, dy1, dy2) = (x1.MoveToOuterDisposeScope(), x2.MoveToOuterDisposeScope(), dx1.MoveToOuterDisposeScope(), dx2.MoveToOuterDisposeScope());
            ReleaseUnreachableTensors();
        }
        foreach (var stream in random)
            stream.Dispose();
        foreach (var tensor in plan.Shared)
            tensor.Dispose();
        y1.Dispose();
        y2.Dispose();

        var result = new List<Tensor> { null!, dy1, dy2 };
        foreach (var grads in parameterGrads)
            result.AddRange(grads);
        return result;
    }
}
