/** A course is called by the learner's own words for it everywhere (course page, dashboard,
 *  goals, chat): the outline's title is the model's and differs between screens' data. */
export function courseName(course: { topic: string }): string {
  return course.topic;
}
