using TorchSharp;
using TorchSharp.Modules;
using XformerDsl.Training;
using Xunit;
using static TorchSharp.torch;

namespace XformerDsl.Tests.Training;

/// <summary>
/// Next-token training through the shared loop takes exactly the steps of a plain AdamW loop written out here (the loop as
/// it was before objectives existed): same batches, learning rates, clipping, and the same losses bit for bit.
/// </summary>
public class NextTokenReferenceTests
{
    [Fact]
    public void The_trainers_next_token_losses_equal_a_plain_AdamW_loops_bit_for_bit()
    {
        long[] tokens = ByteTokenizer.Encode(TextCorpus.FromText(string.Concat(Enumerable.Repeat("pack my box with five dozen liquor jugs. ", 30))).Train.Span);
        var options = new TrainingOptions
        {
            MaxSteps = 10, BatchSize = 4, SequenceLength = 16, LearningRate = 2e-2, WarmupSteps = 3, EvaluationBatches = 0, Seed = 11, Threads = 2,
        };
        torch.manual_seed(7);
        using var model = new TinyLanguageModel(ByteTokenizer.VocabularySize, 16);
        var recorder = new RecordingObserver();
        Trainer.Train(model, tokens, default, options, recorder);

        torch.manual_seed(7);
        using var reference = new TinyLanguageModel(ByteTokenizer.VocabularySize, 16);
        torch.set_num_threads(2);
        torch.manual_seed(options.Seed);
        var sampler = new BatchSampler(tokens, options.BatchSize, options.SequenceLength, options.Seed);
        var (decayed, notDecayed) = WeightDecayPolicy.Split(reference);
        var parameters = decayed.Concat(notDecayed).Select(p => p.Parameter).ToArray();
        using var optimizer = torch.optim.AdamW(
            [
                new AdamW.ParamGroup(decayed.Select(p => p.Parameter), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay),
                new AdamW.ParamGroup(notDecayed.Select(p => p.Parameter), options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, weight_decay: 0),
            ],
            options.LearningRate, options.Beta1, options.Beta2, options.Epsilon, options.WeightDecay);
        reference.train();
        for (int step = 0; step < options.MaxSteps; step++)
        {
            double rate = LearningRateSchedule.At(step, LearningRateSchedule.Progress(step, options.MaxSteps, TimeSpan.Zero, null),
                options.LearningRate, options.WarmupSteps, options.MinLearningRateFraction);
            foreach (var group in optimizer.ParamGroups)
                group.LearningRate = rate;
            using var scope = NewDisposeScope();
            var batch = sampler.Next();
            var logits = reference.forward(batch.Inputs);
            var loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[2]), batch.Targets.reshape(-1));
            optimizer.zero_grad();
            loss.backward();
            nn.utils.clip_grad_norm_(parameters, options.GradientClipNorm);
            optimizer.step();

            Assert.Equal(loss.item<float>(), recorder.Steps[step].Loss);
            Assert.Equal(rate, recorder.Steps[step].LearningRate);
        }
    }
}
