package server

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/saturn-autoscaler/saturn/simulator/tokenize"
)

func openaiClient(ts *testServer) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(ts.URL+"/v1/"),
		option.WithAPIKey("unused"),
		option.WithMaxRetries(0),
	)
}

func TestOpenAIClientCompletes(t *testing.T) {
	ts := newPacedServer(t, time.Millisecond, 64)
	client := openaiClient(ts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	c, err := client.Completions.New(ctx, openai.CompletionNewParams{
		Model:     testModel,
		Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say hello")},
		MaxTokens: openai.Int(8),
	}, option.WithJSONSet("ignore_eos", true))
	require.NoError(t, err)
	require.Len(t, c.Choices, 1)
	assert.Equal(t, openai.CompletionChoiceFinishReasonLength, c.Choices[0].FinishReason)
	assert.Equal(t, int64(8), c.Usage.CompletionTokens)
	assert.Equal(t, int64(tokenize.Count("Say hello")), c.Usage.PromptTokens)
	assert.Equal(t, 8, tokenize.Count(c.Choices[0].Text))

	chat, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:               testModel,
		Messages:            []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be terse."), openai.UserMessage("Hi")},
		MaxCompletionTokens: openai.Int(6),
	}, option.WithJSONSet("ignore_eos", true))
	require.NoError(t, err)
	assert.Equal(t, "assistant", string(chat.Choices[0].Message.Role))
	assert.Equal(t, 6, tokenize.Count(chat.Choices[0].Message.Content))
	assert.Equal(t, int64(6), chat.Usage.CompletionTokens)
	assert.Equal(t, "length", chat.Choices[0].FinishReason)
}

func TestOpenAIClientStreams(t *testing.T) {
	ts := newPacedServer(t, time.Millisecond, 64)
	client := openaiClient(ts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	stream := client.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model:     testModel,
		Prompt:    openai.CompletionNewParamsPromptUnion{OfArrayOfTokens: []int64{1, 2, 3, 4}},
		MaxTokens: openai.Int(20),
	}, option.WithJSONSet("ignore_eos", true), option.WithJSONSet("stream_options", map[string]any{"include_usage": true}))
	var text strings.Builder
	var usage openai.CompletionUsage
	for stream.Next() {
		c := stream.Current()
		for _, ch := range c.Choices {
			text.WriteString(ch.Text)
		}
		if c.Usage.TotalTokens > 0 {
			usage = c.Usage
		}
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, 20, tokenize.Count(text.String()))
	assert.Equal(t, int64(20), usage.CompletionTokens)
	assert.Equal(t, int64(4), usage.PromptTokens)

	chat := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:         "alias",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Stream please")},
		MaxTokens:     openai.Int(15),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}, option.WithJSONSet("ignore_eos", true))
	acc := openai.ChatCompletionAccumulator{}
	for chat.Next() {
		acc.AddChunk(chat.Current())
	}
	require.NoError(t, chat.Err())
	require.Len(t, acc.Choices, 1)
	assert.Equal(t, 15, tokenize.Count(acc.Choices[0].Message.Content))
	assert.Equal(t, int64(15), acc.Usage.CompletionTokens)
	assert.Equal(t, "length", acc.Choices[0].FinishReason)
}

func TestOpenAIClientSeesErrors(t *testing.T) {
	ts := newInstantServer(t)
	client := openaiClient(ts)
	_, err := client.Completions.New(context.Background(), openai.CompletionNewParams{
		Model:  "missing-model",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("x")},
	})
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "error %v", err)
	assert.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	assert.Equal(t, "The model `missing-model` does not exist.", apiErr.Message)
	assert.Equal(t, "NotFoundError", apiErr.Type)
}
