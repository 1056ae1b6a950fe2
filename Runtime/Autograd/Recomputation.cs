using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace XformerDsl.Autograd;

/// <summary>
/// The step that chunked feed-forward and reversible layers share in their backward pass: run a function again, with
/// autograd on, from a detached copy of its input, and take the gradients of that input and of the function's
/// parameters for a given output gradient. Nothing of the recomputation outlives the call but what it returns.
/// </summary>
internal static class Recomputation
{
    /// <summary>
    /// The function's output (detached) and the gradients: index 0 the input's, then one per parameter (null for a
    /// parameter that does not require a gradient or that the function did not use).
    /// </summary>
    public static (Tensor Output, Tensor?[] Grads) Gradients(Func<Tensor, Tensor> function, IReadOnlyList<Tensor> parameters,
        Tensor input, Tensor gradOutput, RandomStream? random = null)
    {
        using var enabled = enable_grad();
        var leaf = input.detach().requires_grad_(true);
        var output = random is null ? function(leaf) : random.Replay(() => function(leaf));
        var trainable = Enumerable.Range(0, parameters.Count).Where(i => parameters[i].requires_grad).ToList();
        var wrt = new List<Tensor> { leaf };
        wrt.AddRange(trainable.Select(i => parameters[i]));
        var grads = torch.autograd.grad([output], wrt, [gradOutput], allow_unused: true);
        var result = new Tensor?[1 + parameters.Count];
        result[0] = grads[0];
        for (int j = 0; j < trainable.Count; j++)
            result[1 + trainable[j]] = grads[1 + j] is { IsInvalid: false } grad ? grad : null;
        return (output.detach(), result);
    }
}
